// Small helpers for the citizen's pages.
import assert from 'node:assert/strict';

/** `BE-K7M3-Q9XD-R2HP-7`: state, three groups of four, check symbol (no 0/O/1/I/L). */
export const CASE_NUMBER = (state) =>
  new RegExp(`^${state}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]$`);

/** A 1×1 PNG, as an evidence upload. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Runs `action` (a click or key press) and waits until the new document has loaded. */
export async function navigating(page, action) {
  const committed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await action();
  await committed;
  await page.waitForLoadState('load');
}

/** Presses the step's visible submit button with `name=action value=<value>`. */
export function pressAction(page, value) {
  // Not the hidden default button that catches Enter (tabindex=-1).
  const button = page.locator(`main button[name=action][value="${value}"]:not([tabindex="-1"])`);
  return navigating(page, () => button.click());
}

/**
 * Fills a step: { fill: {id: text}, check: [id], select: {id: value}, files: {id: file} }.
 * Ids are element ids without `#`.
 */
export async function fillStep(page, { fill = {}, check = [], select = {}, files = {} } = {}) {
  // Answers first: with JavaScript a conditional question appears only once its answer is chosen.
  for (const id of check) await page.locator(`#${id}`).check();
  for (const [id, value] of Object.entries(fill)) await page.locator(`#${id}`).fill(value);
  for (const [id, value] of Object.entries(select)) await page.locator(`#${id}`).selectOption(value);
  for (const [id, file] of Object.entries(files)) await page.locator(`#${id}`).setInputFiles(file);
}

/** Asserts the page is the step `stepId` of `/<state>/<form>`. */
export function assertStep(page, state, form, stepId) {
  const path = new URL(page.url()).pathname;
  assert.equal(path, `/${state}/${form}/schritt/${stepId}`, `expected step ${stepId}, at ${page.url()}`);
}

/** Opens `/<state>/<form>` and starts a new report; lands on the first step. */
export async function startReport(page, baseUrl, state, form) {
  await page.goto(`${baseUrl}/${state}/${form}`);
  await navigating(page, () => page.locator(`main form[action="/${state}/${form}/start"] button.button`).first().click());
  assert.match(new URL(page.url()).pathname, new RegExp(`^/${state}/${form}/schritt/`));
}
