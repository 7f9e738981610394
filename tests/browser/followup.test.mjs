// Issue 14 in Chromium: a citizen files, the police post two statuses (through the intake's
// API with a pull-API token, as a pull-only police system does), and the citizen's status
// page shows both with dates. axe on the status pages; without JavaScript; by keyboard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeChecked, axeViolations, checkPage, launchBrowser, newContext } from './lib/browser.mjs';
import { navigating } from './lib/citizen.mjs';
import { tabTo } from './lib/keyboard.mjs';
import { startServer } from './lib/server.mjs';
import { fileShortReport } from './lib/staff.mjs';

const STATUS_CODE = /^[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){4}$/;
const DATE = /\d{2}\.\d{2}\.\d{4}/;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  console.log(`axe: ${axeChecked.size} pages, ${axeViolations.count} violations`);
});

async function withPage(options, fn) {
  const context = await newContext(browser, options);
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}

/** Posts a coarse status as a pull-only police system does. */
async function postStatus(token, caseNumber, eventId, status, officeId) {
  const res = await fetch(`${server.url}/api/v1/status`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({
      event_id: eventId, case_number: caseNumber, status, office_id: officeId, at: new Date().toISOString(),
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Files a report in Chromium; returns its case number and status code. */
async function fileOne() {
  return withPage({}, async (page) => {
    const caseNumber = await fileShortReport(page, server.url);
    const code = (await page.locator('#status-code').innerText()).trim();
    assert.match(code, STATUS_CODE);
    assert.ok(!page.url().includes(code));
    return { caseNumber, code };
  });
}

test('the status page shows two statuses with dates; axe, no JavaScript, keyboard', async () => {
  const { caseNumber, code } = await fileOne();
  const out = server.cli(['token', 'add', '--state', 'be', '--name', 'Browsertest']);
  const token = out.split(/\s+/).find((w) => /^[A-Za-z0-9_-]{43}$/.test(w));
  assert.ok(token, `no token in: ${out}`);
  await postStatus(token, caseNumber, 'browser-ev-1', 'in_bearbeitung', 'dir1');
  await postStatus(token, caseNumber, 'browser-ev-2', 'abgegeben', 'dir2');

  // With JavaScript: axe on the form, the error answer and the timeline.
  await withPage({}, async (page) => {
    await page.goto(`${server.url}/status`);
    await checkPage(page, 'status-lookup');
    await page.locator('#case_number').fill(caseNumber);
    await page.locator('#status_code').fill('2222-2222-2222-2222-2222');
    await navigating(page, () => page.locator('main form[action="/status"] button').click());
    assert.ok(await page.locator('.error-summary').isVisible());
    await checkPage(page, 'status-lookup-error');
    await page.locator('#status_code').fill(code.toLowerCase());
    await navigating(page, () => page.locator('main form[action="/status"] button').click());
    assert.equal(new URL(page.url()).pathname, '/status/vorgang');
    const rows = await page.locator('#timeline li').allInnerTexts();
    assert.equal(rows.length, 3, rows.join(' | '));
    assert.match(rows[1], /In Bearbeitung bei Polizeidirektion 1/);
    assert.match(rows[2], /Abgegeben an Polizeidirektion 2/);
    for (const row of rows) assert.match(row, DATE);
    await checkPage(page, 'status-timeline');
  });

  // Without JavaScript, in English.
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await page.goto(`${server.url}/sprache/en?next=/status`);
    assert.equal(new URL(page.url()).pathname, '/status');
    await page.getByLabel('Case number').fill(caseNumber);
    await page.getByLabel('Status code').fill(code);
    await navigating(page, () => page.getByRole('button', { name: 'Show progress' }).click());
    const text = await page.locator('#timeline').innerText();
    assert.match(text, /In progress at Polizeidirektion 1/);
    assert.match(text, /Handed over to Polizeidirektion 2/);
  });

  // By keyboard only.
  await withPage({}, async (page) => {
    await page.goto(`${server.url}/status`);
    await tabTo(page, (k) => k.includes('case_number'));
    await page.keyboard.type(caseNumber);
    await tabTo(page, (k) => k.includes('status_code'));
    await page.keyboard.type(code);
    await navigating(page, () => page.keyboard.press('Enter'));
    assert.equal(new URL(page.url()).pathname, '/status/vorgang');
    assert.match(await page.locator('#timeline').innerText(), /Abgegeben an/);
  });
});
