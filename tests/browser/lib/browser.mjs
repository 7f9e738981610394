// Chromium via playwright-core, axe-core checks and screenshots.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const ARTIFACTS = resolve(import.meta.dirname, '../artifacts');
export const DESKTOP = { width: 1280, height: 900 };
export const MOBILE = { width: 375, height: 812 };

/**
 * Debian's chromium, headless, quiet on the network. playwright-core gives every
 * launch a fresh temporary profile (it refuses an explicit --user-data-dir).
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.IW_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

/** A fresh context: no cookies, German browser locale, desktop size. */
export function newContext(browser, options = {}) {
  return browser.newContext({
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
    viewport: DESKTOP,
    ...options,
  });
}

/** Every page type checked by axe in this run: name -> url. */
export const axeChecked = new Map();
/** Violations found so far, over all pages. */
export const axeViolations = { count: 0 };
/** WCAG 2.1 A/AA, and axe's best practices (landmarks, heading order, ...) on top. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

function describeViolations(violations) {
  return violations
    .map((v) => [
      `- ${v.id} (${v.impact}): ${v.help}`,
      `  ${v.helpUrl}`,
      ...v.nodes.map((n) => `  target ${JSON.stringify(n.target)}: ${n.failureSummary?.replace(/\n/g, ' ')}`),
    ].join('\n'))
    .join('\n');
}

/** Runs axe (WCAG 2.1 A/AA and best practices) on the current page and asserts no violations. */
export async function checkAxe(page, name) {
  // axe needs timers, so call this only in contexts with JavaScript enabled.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  axeChecked.set(name, page.url());
  axeViolations.count += result.violations.length;
  assert.equal(
    result.violations.length, 0,
    `axe found ${result.violations.length} violation(s) on "${name}" (${page.url()}):\n${describeViolations(result.violations)}`,
  );
}

/**
 * Full-page screenshots at 1280 px and 375 px (artifacts/<name>-desktop.png, -mobile.png).
 * Returns how far the page scrolls sideways at 375 px.
 */
export async function screenshots(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const before = page.viewportSize();
  let overflow = 0;
  for (const [suffix, size] of [['desktop', DESKTOP], ['mobile', MOBILE]]) {
    await page.setViewportSize(size);
    if (suffix === 'mobile') {
      overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    }
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(before);
  return overflow;
}

/** axe, screenshots and reflow (nothing sticks out sideways at 375 px, WCAG 1.4.10). */
export async function checkPage(page, name) {
  await checkAxe(page, name);
  const overflow = await screenshots(page, name);
  assert.ok(overflow <= 0, `"${name}" scrolls sideways by ${overflow}px at 375 px`);
}

/** Runs `fn(page)` in a fresh context (no cookies) with `options`; closes it afterwards. */
export async function withPage(browser, options, fn) {
  const context = await newContext(browser, options);
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}
