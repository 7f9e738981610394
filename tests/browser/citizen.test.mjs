// Citizen journeys in headless Chromium against the real binary, with axe-core
// (WCAG 2.1 A/AA) on every page type and screenshots at 1280 and 375 px.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { axeChecked, axeViolations, checkAxe, checkPage, launchBrowser, newContext } from './lib/browser.mjs';
import {
  assertStep, CASE_NUMBER, fillStep, navigating, PNG, pressAction, startReport,
} from './lib/citizen.mjs';
import { keyboardJourney } from './lib/keyboard.mjs';
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
  console.log(`axe: ${axeChecked.size} pages, ${axeViolations.count} violations`);
  for (const [name, url] of axeChecked) console.log(`  axe ok  ${name}  ${url}`);
});

/** Opens a page in a fresh context (no cookies); closes the context afterwards. */
async function withPage(options, fn) {
  const context = await newContext(browser, options);
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}

/**
 * Journey 1: bicycle theft in Berlin, in German. With `check`, every page type is
 * checked by axe and photographed (the JavaScript run); without JavaScript it only
 * proves the journey works.
 */
async function bicycleTheftBerlin(page, { js }) {
  const check = js ? (name) => checkPage(page, name) : async () => {};

  await page.goto(server.url);
  await check('landing');
  await page.locator('#state-be').check();
  await navigating(page, () => page.locator('form.choose-state button[type=submit]').click());
  assert.equal(new URL(page.url()).pathname, '/be');
  await check('state');
  await navigating(page, () => page.locator('main a[href="/be/fahrraddiebstahl"]').click());
  await check('start');
  await navigating(page, () => page.getByRole('button', { name: 'Jetzt beginnen' }).click());

  assertStep(page, 'be', 'fahrraddiebstahl', 'gefahr');
  await fillStep(page, { check: ['f-gefahr_akut-1'] }); // Nein
  await pressAction(page, 'next');

  assertStep(page, 'be', 'fahrraddiebstahl', 'meldende_person');
  await fillStep(page, {
    check: ['f-meldende_art-0'],
    fill: {
      'f-vorname': 'Erika', 'f-nachname': 'Mustermann', 'f-geburtsdatum': '1985-05-17',
      'f-strasse': 'Platz der Republik 1', 'f-plz': '10557', 'f-ort': 'Berlin',
      'f-email': 'erika@example.org',
    },
  });
  await pressAction(page, 'next');

  assertStep(page, 'be', 'fahrraddiebstahl', 'tatzeit');
  await fillStep(page, {
    fill: {
      'f-tatzeit-from-date': '2025-10-01', 'f-tatzeit-from-time': '18:00',
      'f-tatzeit-to-date': '2025-10-02', 'f-tatzeit-to-time': '07:30',
    },
  });
  await pressAction(page, 'next');

  assertStep(page, 'be', 'fahrraddiebstahl', 'tatort');
  await fillStep(page, {
    check: ['f-tatort_art-0'],
    fill: { 'f-tatort_strasse': 'Warschauer Straße 1', 'f-tatort_plz': '10243', 'f-tatort_ort': 'Berlin' },
  });
  await pressAction(page, 'next');

  // The bicycle: the make is left empty on purpose.
  assertStep(page, 'be', 'fahrraddiebstahl', 'fahrrad');
  await fillStep(page, {
    select: { 'f-fahrradtyp': 'city' },
    fill: { 'f-farbe': 'Dunkelgrün', 'f-rahmennummer': 'WBK12345678', 'f-wert': '850' },
    check: ['f-codiert-1', 'f-sicherung-0'],
  });
  await pressAction(page, 'next');

  assertStep(page, 'be', 'fahrraddiebstahl', 'fahrrad');
  const summary = page.locator('.error-summary');
  await summary.waitFor();
  assert.match(await page.title(), /^Fehler: /);
  const links = summary.locator('a');
  assert.equal(await links.count(), 1, 'only the empty make is reported');
  assert.equal(await links.first().getAttribute('href'), '#f-marke');
  assert.equal(await page.locator('#f-marke').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#f-marke-error').innerText(), /Hersteller oder Marke/);
  assert.match(await page.locator('#f-marke').getAttribute('aria-describedby'), /f-marke-error/);
  // What was entered elsewhere is kept.
  assert.equal(await page.locator('#f-farbe').inputValue(), 'Dunkelgrün');
  assert.equal(await page.locator('#f-rahmennummer').inputValue(), 'WBK12345678');
  assert.equal(await page.locator('#f-fahrradtyp').inputValue(), 'city');
  assert.ok(await page.locator('#f-sicherung-0').isChecked());
  if (js) {
    // app.js moves focus to the summary, so screen readers announce it.
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'error-summary');
    await check('step-error');
  } else {
    // Proof that scripts are really off: app.js would have focused the summary.
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'BODY');
  }
  // The summary link leads to the field (the browser focuses the fragment target).
  await links.first().click();
  await page.waitForURL(/#f-marke$/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-marke');
  await page.locator('#f-marke').fill('Stevens');
  await pressAction(page, 'next');

  assertStep(page, 'be', 'fahrraddiebstahl', 'hergang');
  await fillStep(page, { fill: { 'f-tathergang': 'Am Abend angeschlossen, am Morgen war es weg. Das Schloss lag zerschnitten daneben.' } });
  // "Zurück" keeps what was typed here and on the step before.
  await pressAction(page, 'back');
  assertStep(page, 'be', 'fahrraddiebstahl', 'fahrrad');
  assert.equal(await page.locator('#f-marke').inputValue(), 'Stevens');
  await pressAction(page, 'next');
  assertStep(page, 'be', 'fahrraddiebstahl', 'hergang');
  assert.match(await page.locator('#f-tathergang').inputValue(), /Schloss lag zerschnitten/);
  await check('step-textarea');
  await pressAction(page, 'next');

  assertStep(page, 'be', 'fahrraddiebstahl', 'beteiligte');
  await pressAction(page, 'next');
  assertStep(page, 'be', 'fahrraddiebstahl', 'beweise');
  await pressAction(page, 'next');
  assertStep(page, 'be', 'fahrraddiebstahl', 'strafantrag');
  await fillStep(page, { check: ['f-strafantrag-0'] });
  await pressAction(page, 'next');
  assertStep(page, 'be', 'fahrraddiebstahl', 'abschluss');
  await fillStep(page, { check: ['f-wahrheit-0', 'f-datenschutz-0'] });
  await pressAction(page, 'next');

  // Review: "Angaben prüfen" with one "Ändern" link per step.
  assert.equal(new URL(page.url()).pathname, '/be/fahrraddiebstahl/pruefen');
  assert.equal(await page.locator('h1').innerText(), 'Angaben prüfen');
  const main = page.locator('main');
  for (const text of ['Stevens', 'Dunkelgrün', 'WBK12345678', 'Erika']) {
    assert.ok((await main.innerText()).includes(text), `review shows ${text}`);
  }
  // Steps left empty say so instead of showing an empty table.
  assert.ok((await main.innerText()).includes('Keine Angaben'));
  const change = page.locator('main a', { hasText: 'Ändern' });
  assert.ok(await change.count() >= 10, 'an "Ändern" link per step');
  await check('review');
  // Change one answer and come straight back to the review.
  await navigating(page, () => page.locator('main a[href$="/schritt/fahrrad"]').click());
  assertStep(page, 'be', 'fahrraddiebstahl', 'fahrrad');
  await page.locator('#f-farbe').fill('Grün');
  await pressAction(page, 'next');
  assert.equal(new URL(page.url()).pathname, '/be/fahrraddiebstahl/pruefen');
  assert.ok((await main.innerText()).includes('Grün'));

  await navigating(page, () => page.getByRole('button', { name: 'Anzeige verbindlich absenden' }).click());
  assert.equal(new URL(page.url()).pathname, '/be/fahrraddiebstahl/bestaetigung');
  const caseNumber = (await page.locator('#case-number').innerText()).trim();
  assert.match(caseNumber, CASE_NUMBER('BE'));
  await check('confirmation');
  // The printable copy carries the same case number and the answers.
  await navigating(page, () => page.locator('main a[href="/be/fahrraddiebstahl/ausdruck"]').click());
  assert.equal((await page.locator('#case-number').innerText()).trim(), caseNumber);
  assert.ok((await page.locator('main').innerText()).includes('Stevens'));
  await check('print');
  return caseNumber;
}

describe('journeys', () => {
  test('bicycle theft in Berlin, in German (with JavaScript)', async () => {
    await withPage({}, (page) => bicycleTheftBerlin(page, { js: true }));
  });

  test('bicycle theft in Berlin, without JavaScript', async () => {
    await withPage({ javaScriptEnabled: false }, (page) => bicycleTheftBerlin(page, { js: false }));
  });

  test('fraud in Brandenburg, in English, with an upload and a witness', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${server.url}/bb/betrug`);
      await navigating(page, () => page.locator('.lang-switch a[hreflang="en"]').click());
      assert.equal(new URL(page.url()).pathname, '/bb/betrug');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await checkPage(page, 'start-en');
      await navigating(page, () => page.getByRole('button', { name: 'Start now' }).click());

      assertStep(page, 'bb', 'betrug', 'meldende_person');
      await fillStep(page, {
        check: ['f-meldende_art-0'],
        fill: {
          'f-vorname': 'John', 'f-nachname': 'Doe', 'f-geburtsdatum': '1970-01-31',
          'f-strasse': 'Friedrich-Ebert-Straße 79', 'f-plz': '14469', 'f-ort': 'Potsdam',
          'f-telefon': '+49 331 1234567', 'f-email': 'john@example.org',
        },
        select: { 'f-land': 'DE' },
      });
      await pressAction(page, 'next');
      assertStep(page, 'bb', 'betrug', 'tatzeit');
      await fillStep(page, { fill: { 'f-tatzeit-from-date': '2025-09-15', 'f-tatzeit-from-time': '20:15' } });
      await pressAction(page, 'next');
      assertStep(page, 'bb', 'betrug', 'tatort');
      await fillStep(page, { check: ['f-tatort_art-1'] }); // on the internet
      await pressAction(page, 'next');

      assertStep(page, 'bb', 'betrug', 'betrug');
      await fillStep(page, {
        select: { 'f-betrugsart': { index: 1 } },
        fill: {
          'f-plattform': 'Kleinanzeigen', 'f-webseite': 'https://shop.example/angebot/123',
          'f-empfaenger_iban': 'DE89 3704 0044 0532 0130 00', 'f-schaden': '249,90',
        },
        check: ['f-zahlungsweg-0', 'f-bank_informiert-1'],
      });
      await pressAction(page, 'next');
      assertStep(page, 'bb', 'betrug', 'hergang');
      await page.locator('main textarea').first().fill('I paid for a phone that never arrived.');
      await pressAction(page, 'next');

      // "Add another" is a submit button: it works without JavaScript.
      assertStep(page, 'bb', 'betrug', 'beteiligte');
      await pressAction(page, 'add:zeugen');
      assertStep(page, 'bb', 'betrug', 'beteiligte');
      assert.equal(await page.locator('input[name="f-zeugen-count"]').inputValue(), '1');
      await fillStep(page, { fill: { 'f-zeugen-0-zeuge_name': 'Jane Witness', 'f-zeugen-0-zeuge_email': 'jane@example.org' } });
      await checkPage(page, 'step-group-en');
      // Enter in a field continues; it must not press "Add suspect" or "Remove".
      await navigating(page, () => page.locator('#f-zeugen-0-zeuge_email').press('Enter'));

      assertStep(page, 'bb', 'betrug', 'beweise');
      await fillStep(page, { files: { 'f-beweise': { name: 'evidence.png', mimeType: 'image/png', buffer: PNG } } });
      await pressAction(page, 'next');
      assertStep(page, 'bb', 'betrug', 'strafantrag');
      await fillStep(page, { check: ['f-strafantrag-0'] });
      await pressAction(page, 'next');
      assertStep(page, 'bb', 'betrug', 'abschluss');
      await fillStep(page, { check: ['f-wahrheit-0', 'f-datenschutz-0'] });
      await pressAction(page, 'next');

      assert.equal(new URL(page.url()).pathname, '/bb/betrug/pruefen');
      assert.equal(await page.locator('h1').innerText(), 'Check your answers');
      const review = await page.locator('main').innerText();
      for (const text of ['Jane Witness', 'evidence.png', 'DE89']) {
        assert.ok(review.includes(text), `review shows ${text}`);
      }
      await checkPage(page, 'review-en');
      await navigating(page, () => page.getByRole('button', { name: 'Send report' }).click());
      assert.equal(new URL(page.url()).pathname, '/bb/betrug/bestaetigung');
      assert.match((await page.locator('#case-number').innerText()).trim(), CASE_NUMBER('BB'));
      await checkPage(page, 'confirmation-en');
    });
  });

  test('keyboard only: skip link, visible focus, logical tab order, a whole report', async () => {
    await withPage({}, (page) => keyboardJourney(page, server.url));
  });

  // TODO(staff pages, other branch): "an admin publishes a variant, a clerk signs in and
  // lists reports". Add the journey here once the admin and police routes are merged.
  test.todo('admin publishes a form variant; clerk signs in and lists reports');
});

/**
 * Where each field type is shown: [type, state/form, step, selector of that field].
 * `setup` prepares the draft when the step is conditional or the field is in a group.
 */
const FIELD_TYPES = [
  ['yes_no', 'be/fahrraddiebstahl', 'gefahr', '#f-gefahr_akut-0'],
  ['radio', 'be/fahrraddiebstahl', 'meldende_person', '#f-meldende_art-0'],
  ['text', 'be/fahrraddiebstahl', 'meldende_person', '#f-vorname'],
  ['date', 'be/fahrraddiebstahl', 'meldende_person', '#f-geburtsdatum'],
  ['postal_code', 'be/fahrraddiebstahl', 'meldende_person', '#f-plz'],
  ['country', 'be/fahrraddiebstahl', 'meldende_person', '#f-land'],
  ['phone', 'be/fahrraddiebstahl', 'meldende_person', '#f-telefon'],
  ['email', 'be/fahrraddiebstahl', 'meldende_person', '#f-email'],
  ['time_span', 'be/fahrraddiebstahl', 'tatzeit', '#f-tatzeit-from-date'],
  ['select', 'be/fahrraddiebstahl', 'fahrrad', '#f-fahrradtyp'],
  ['frame_number', 'be/fahrraddiebstahl', 'fahrrad', '#f-rahmennummer'],
  ['number', 'be/fahrraddiebstahl', 'fahrrad', '#f-rahmenhoehe'],
  ['money', 'be/fahrraddiebstahl', 'fahrrad', '#f-wert'],
  ['textarea', 'be/fahrraddiebstahl', 'hergang', '#f-tathergang'],
  ['group', 'be/fahrraddiebstahl', 'beteiligte', '#f-zeugen-0-zeuge_name'],
  ['licence_plate', 'be/fahrraddiebstahl', 'beteiligte', '#f-verdaechtige-0-verdaechtig_kennzeichen'],
  ['file', 'be/fahrraddiebstahl', 'beweise', '#f-beweise'],
  ['checkboxes', 'be/fahrraddiebstahl', 'abschluss', '#f-wahrheit-0'],
  ['time', 'be/hinweis', 'hinweis', '#f-hinweis_uhrzeit'],
  ['url', 'bb/betrug', 'betrug', '#f-webseite'],
  ['iban', 'bb/betrug', 'betrug', '#f-empfaenger_iban'],
  ['vin', 'be/diebstahl', 'fahrzeug', '#f-kfz_fin'],
];
const ALL_TYPES = [
  'text', 'textarea', 'email', 'phone', 'date', 'time', 'time_span', 'select', 'radio',
  'checkboxes', 'yes_no', 'number', 'money', 'postal_code', 'country', 'iban',
  'licence_plate', 'vin', 'frame_number', 'url', 'file', 'group',
];

/** Before showing a step: add group items, or answer what makes the step visible. */
const SETUP = {
  'be/fahrraddiebstahl/beteiligte': async (page) => {
    await pressAction(page, 'add:verdaechtige');
    await pressAction(page, 'add:zeugen');
  },
  'be/diebstahl/fahrzeug': async (page, url) => {
    // The vehicle step is shown once "Kraftfahrzeug" is ticked; an incomplete step is still saved.
    await page.goto(`${url}/be/diebstahl/schritt/diebesgut`);
    await page.locator('input[name="f-diebesgut_art"][value="fahrzeug"]').check();
    await pressAction(page, 'next');
    await page.goto(`${url}/be/diebstahl/schritt/fahrzeug`);
  },
};

describe('accessibility of every page type', () => {
  test('the field-type table covers every field type', () => {
    assert.deepEqual([...new Set(FIELD_TYPES.map((r) => r[0]))].sort(), [...ALL_TYPES].sort());
  });

  test('axe: a step for every field type', async () => {
    const byForm = groupBy(FIELD_TYPES, (r) => r[1]);
    for (const [form, rows] of byForm) {
      const [state, formId] = form.split('/');
      await withPage({}, async (page) => {
        await startReport(page, server.url, state, formId);
        for (const [step, stepRows] of groupBy(rows, (r) => r[2])) {
          await page.goto(`${server.url}/${form}/schritt/${step}`);
          await SETUP[`${form}/${step}`]?.(page, server.url);
          assertStep(page, state, formId, step);
          for (const [type, , , selector] of stepRows) {
            assert.equal(await page.locator(selector).count(), 1, `${type} field ${selector} on ${form}/${step}`);
          }
          await checkPage(page, `step-${state}-${formId}-${step}`);
        }
      });
    }
  });

  test('axe: referral page ("call 110")', async () => {
    await withPage({}, async (page) => {
      await startReport(page, server.url, 'be', 'sachbeschaedigung');
      await fillStep(page, { check: ['f-gefahr_akut-0'] }); // Ja: someone is in danger
      await pressAction(page, 'next');
      assert.ok(await page.locator('main .panel-emergency a[href="tel:110"]').count() === 1);
      await checkPage(page, 'referral');
    });
  });

  test('axe: find the state by postal code, with an error', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${server.url}/melden/bundesland`);
      await checkPage(page, 'find-state');
      await page.locator('#postal_code').fill('99');
      await navigating(page, () => page.locator('main form button[type=submit]').click());
      await page.locator('.error-summary').waitFor();
      await checkPage(page, 'find-state-error');
    });
  });

  test('axe: expired draft', async (t) => {
    if (!hasSqlite3()) {
      t.skip('sqlite3 is not installed (scripts/browser-test installs it)');
      return;
    }
    await withPage({}, async (page) => {
      await startReport(page, server.url, 'be', 'fahrraddiebstahl');
      const cookie = (await page.context().cookies()).find((c) => c.name === 'iw_draft');
      assert.ok(cookie, 'a draft cookie is set');
      // Drafts are keyed by the SHA-256 of the cookie token; move the idle expiry into the past.
      const id = createHash('sha256').update(cookie.value).digest('hex');
      const changed = sqlite(`UPDATE drafts SET idle_expires_at = '2000' || substr(idle_expires_at, 5) WHERE id = '${id}'; SELECT changes();`);
      assert.equal(changed, '1');
      await page.goto(`${server.url}/be/fahrraddiebstahl/schritt/meldende_person`);
      assert.equal(await page.locator('h1').innerText(), 'Ihre Sitzung ist abgelaufen');
      await checkPage(page, 'expired');
    });
  });

  test('axe: error page (404)', async () => {
    await withPage({}, async (page) => {
      const res = await page.goto(`${server.url}/be/gibt-es-nicht`);
      assert.equal(res.status(), 404);
      await checkAxe(page, 'not-found');
    });
  });

  // TODO(staff pages, other branch): run checkPage on these once they exist:
  //   /polizei/anmelden (clerk sign-in), /polizei/berichte (report list),
  //   /admin/anmelden, /admin/formulare (variants: upload, preview, publish),
  //   /admin/warteschlange (queue and dead letters), /admin/protokoll (audit log).
  test.todo('axe: clerk and admin pages');
});

/** Map.groupBy, which Node 20 lacks. */
function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

function hasSqlite3() {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function sqlite(sql) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', server.dbPath, sql], { encoding: 'utf8' }).trim();
}
