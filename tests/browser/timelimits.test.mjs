// Issue 15, item 2 in Chromium: the time-limit warning (a modal dialog a few minutes before
// the draft expires; the page's clock is Playwright's, so nothing waits for real minutes),
// extending keeps what was typed, and "save and continue later" mails a link (to an SMTP
// sink on loopback) that resumes the draft in a new browser context, with and without
// JavaScript. axe on the dialog and the new pages.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { axeChecked, axeViolations, checkPage, launchBrowser, newContext } from './lib/browser.mjs';
import { assertStep, fillStep, navigating, pressAction, startReport } from './lib/citizen.mjs';
import { startServer } from './lib/server.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

const IDLE_MINUTES = 10;
const WARNING_MINUTES = 2;
// "14:05", or "02.12.2026, 00:04" when the limit falls on the next day in Berlin.
const LIMIT = /(?:\d{2}\.\d{2}\.\d{4}, )?\d{2}:\d{2}/;

let server;
let browser;
let smtp;

before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({
    IW_DRAFT_IDLE_MINUTES: String(IDLE_MINUTES),
    IW_DRAFT_WARNING_MINUTES: String(WARNING_MINUTES),
    IW_MAIL_URL: `smtp://127.0.0.1:${smtp.port}?tls=none`,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
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

const dialogOpen = (page) => page.evaluate(() => document.getElementById('time-limit-dialog').open);

test('the warning opens before the limit, extending keeps what was typed', async () => {
  await withPage({}, async (page) => {
    await page.clock.install();
    await startReport(page, server.url, 'be', 'lob-und-beschwerde');
    const step = new URL(page.url()).pathname;
    const text = await page.locator('#time-limit-text').innerText();
    assert.match(text, new RegExp(`^Ihre Eingaben werden bis ${LIMIT.source} Uhr gespeichert`));
    await fillStep(page, { fill: { 'f-vorname': 'Paula', 'f-email': 'paula@' } });
    await page.locator('#f-vorname').focus();

    // Not yet: the limit is minutes away.
    await page.clock.fastForward(`0${IDLE_MINUTES - WARNING_MINUTES - 1}:00`);
    assert.equal(await dialogOpen(page), false, 'no warning long before the limit');
    await page.clock.fastForward('01:00');
    await page.locator('#time-limit-dialog').waitFor({ state: 'visible' });

    const dialog = page.getByRole('alertdialog', { name: 'Ihre Sitzung läuft bald ab' });
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('dialog')?.id),
      'time-limit-dialog',
      'focus moves into the dialog',
    );
    await checkPage(page, 'time-limit dialog');

    // Escape closes it like "close and carry on": nothing lost, focus back where it was.
    await page.keyboard.press('Escape');
    assert.equal(await dialogOpen(page), false);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-vorname');
    assert.equal(await page.locator('#f-vorname').inputValue(), 'Paula');

    // "Sitzung verlängern" in the dialog submits the step form: saved, shown again.
    await page.evaluate(() => document.getElementById('time-limit-dialog').showModal());
    await navigating(page, () => dialog.getByRole('button', { name: 'Sitzung verlängern' }).click());
    assert.equal(new URL(page.url()).pathname, step);
    assert.equal(await page.locator('#f-vorname').inputValue(), 'Paula');
    assert.equal(await page.locator('#f-email').inputValue(), 'paula@', 'even invalid input is kept');
    assert.equal(await page.locator('.error-summary').count(), 0, 'extending judges nothing');
    assert.equal(await dialogOpen(page), false, 'the renewed page starts its own countdown');
  });
});

test('without JavaScript the page states the limit and extends it', async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await startReport(page, server.url, 'be', 'lob-und-beschwerde');
    await fillStep(page, { fill: { 'f-vorname': 'Erika' } });
    // The page's own button (the dialog's twin is closed and unused without JavaScript).
    await navigating(page, () => page.locator('#time-limit button[value="extend"]').click());
    assert.equal(await page.locator('#f-vorname').inputValue(), 'Erika');
    assert.match(await page.locator('#time-limit-text').innerText(), new RegExp(`bis ${LIMIT.source} Uhr`));
  });
});

test('save and continue later: the mailed link resumes in a new browser', async () => {
  const step = await withPage({}, async (page) => {
    await startReport(page, server.url, 'be', 'lob-und-beschwerde');
    const stepPath = new URL(page.url()).pathname;
    await fillStep(page, { fill: { 'f-vorname': 'Sina', 'f-nachname': 'Später' } });
    await pressAction(page, 'later');
    assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/spaeter');
    await checkPage(page, 'save for later');
    await page.locator('#email').fill('sina@example.org');
    await navigating(page, () => page.getByRole('button', { name: 'Link senden' }).click());
    await page.locator('#saved-until').waitFor();
    await checkPage(page, 'saved for later');
    return stepPath;
  });

  const mail = await smtp.waitForMail('sina@example.org');
  const link = mail.text.match(/http:\/\/\S+\/be\/fortsetzen#[A-Za-z0-9_-]{43}/)?.[0];
  assert.ok(link, `the mail holds the link:\n${mail.text}`);
  const code = mail.text.match(/[0-9A-Z]{4}(-[0-9A-Z]{4}){12}/)?.[0];
  assert.ok(code, 'the mail prints the code');
  const path = new URL(link).pathname;

  // A new browser with JavaScript: the link alone resumes, and the secret leaves the URL.
  await withPage({}, async (page) => {
    await navigating(page, () => page.goto(`${server.url}${path}${new URL(link).hash}`));
    await page.waitForURL((u) => u.pathname === step);
    assert.equal(await page.locator('#f-vorname').inputValue(), 'Sina');
    assert.equal(await page.locator('#f-nachname').inputValue(), 'Später');
  });

  // Without JavaScript: the page asks for the code; a wrong one gets one clear answer.
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await page.goto(`${server.url}${path}`);
    await page.locator('#code').fill('ABCD-EFGH');
    await navigating(page, () => page.getByRole('button', { name: 'Fortsetzen' }).click());
    assert.match(await page.locator('.error-summary').innerText(), /öffnet keine gespeicherte Anzeige/);
    await page.locator('#code').fill(code.toLowerCase());
    await navigating(page, () => page.getByRole('button', { name: 'Fortsetzen' }).click());
    assertStep(page, 'be', 'lob-und-beschwerde', step.split('/').pop());
    assert.equal(await page.locator('#f-vorname').inputValue(), 'Sina');
  });

  // The secret never reached the server's log (it travels in the fragment and a POST body).
  const log = readFileSync(server.logPath, 'utf8');
  assert.ok(!log.includes(new URL(link).hash.slice(1)), 'the link secret is not logged');
  assert.ok(!log.includes(code), 'the code is not logged');
  assert.ok(!log.includes('sina@example.org'), 'the address is not logged');

  // axe on the resume page, plain and with its error.
  await withPage({}, async (page) => {
    await page.goto(`${server.url}${path}`);
    await checkPage(page, 'resume');
    await page.locator('#code').fill('falsch');
    await navigating(page, () => page.getByRole('button', { name: 'Fortsetzen' }).click());
    await checkPage(page, 'resume with error');
  });
});

test('on a step the language switch saves what was typed', async () => {
  await withPage({}, async (page) => {
    await startReport(page, server.url, 'be', 'lob-und-beschwerde');
    const step = new URL(page.url()).pathname;
    await fillStep(page, { fill: { 'f-vorname': 'Lena', 'f-email': 'lena@' } });
    await navigating(page, () => page.locator('.lang-switch button[value="lang"]').click());
    assert.equal(new URL(page.url()).pathname, step);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.locator('#f-vorname').inputValue(), 'Lena');
    assert.equal(await page.locator('#f-email').inputValue(), 'lena@');
    await checkPage(page, 'step in English after switching');
    // Enter in a field still continues (the switch stands before the form in the page).
    await page.locator('#f-email').fill('lena@example.org');
    await navigating(page, () => page.locator('#f-email').press('Enter'));
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'Enter did not switch');
    assert.equal(await page.locator('.error-summary').count(), 1, 'Enter pressed "Continue"');
  });
});
