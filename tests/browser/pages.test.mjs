// Citizen pages at GOV.UK quality (issue 15): long text is kept and reported, never cut.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { checkPage, launchBrowser, newContext } from './lib/browser.mjs';
import { pressAction, startReport } from './lib/citizen.mjs';
import { startServer } from './lib/server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a pasted text over the limit is kept whole, counted politely and reported as too long', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await startReport(page, server.url, 'be', 'fahrraddiebstahl');
    await page.goto(`${server.url}/be/fahrraddiebstahl/schritt/hergang`);
    const area = page.locator('#f-tathergang');
    const count = page.locator('#f-tathergang-count');
    assert.equal(await area.getAttribute('maxlength'), null, 'no hard limit that cuts pasted text');
    assert.equal(await count.getAttribute('aria-live'), 'polite');
    const limit = Number(await area.getAttribute('data-maxlength'));
    assert.ok(limit > 0 && limit < 4100, `the limit (${limit}) is under the pasted length`);

    const text = 'Das Fahrrad stand vor der Tür. '.repeat(140).slice(0, 4100);
    await area.fill(text);
    assert.equal((await area.inputValue()).length, 4100, 'the browser kept every pasted character');
    assert.match(await count.textContent(), new RegExp(`${4100 - limit} Zeichen zu viel`));

    await pressAction(page, 'next');
    assert.match(new URL(page.url()).pathname, /\/schritt\/hergang$/, 'stays on the step');
    assert.match(await page.locator('.error-summary').textContent(), /zu lang/);
    assert.match(await page.locator('#f-tathergang-error').textContent(), /zu lang: höchstens \d+ Zeichen, jetzt 4100/);
    assert.equal((await area.inputValue()).length, 4100, 'the server gave the whole text back');
    await checkPage(page, 'step with a text too long');
  } finally {
    await context.close();
  }
});
