// Citizen journeys in headless Chromium against the real binary, with axe-core
// (WCAG 2.1 A/AA and best practices) on every page type and screenshots at 1280 and 375 px.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { axeChecked, axeViolations, checkAxe, checkPage, launchBrowser, newContext } from './lib/browser.mjs';
import {
  assertStep, CASE_NUMBER, fillStep, navigating, PNG, pressAction, startReport,
} from './lib/citizen.mjs';
import { keyboardJourney, tabTo } from './lib/keyboard.mjs';
import { startServer } from './lib/server.mjs';
import { addUser, fileShortReport, signIn } from './lib/staff.mjs';

const REPO_FORMS = join(import.meta.dirname, '../../forms');

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
      'f-vorname': 'Erika', 'f-nachname': 'Mustermann', 'f-geburtsdatum-day': '17', 'f-geburtsdatum-month': '05', 'f-geburtsdatum-year': '1985',
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
  // Without JavaScript too, the summary is the first thing in main (after "skip to content").
  assert.equal(await page.evaluate(() => document.querySelector('main > *').className), 'error-summary');
  // The summary link leads to the field: without JS the browser focuses the fragment
  // target; with JS the script focuses it and scrolls its label into view as well.
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: viewport.width, height: 500 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await links.first().click();
  if (!js) await page.waitForURL(/#f-marke$/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-marke');
  if (js) {
    const labelTop = await page.evaluate(() => document.querySelector('label[for="f-marke"]').getBoundingClientRect().top);
    assert.ok(labelTop >= 0 && labelTop < 100, `the label is at the top of the window, at ${labelTop}px`);
  }
  await page.setViewportSize(viewport);
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

  // Review: "Angaben prüfen" with one "Ändern" link per answer.
  assert.equal(new URL(page.url()).pathname, '/be/fahrraddiebstahl/pruefen');
  assert.equal(await page.locator('h1').innerText(), 'Angaben prüfen');
  const main = page.locator('main');
  for (const text of ['Stevens', 'Dunkelgrün', 'WBK12345678', 'Erika']) {
    assert.ok((await main.innerText()).includes(text), `review shows ${text}`);
  }
  // Steps left empty say so instead of showing an empty table.
  assert.ok((await main.innerText()).includes('Keine Angaben'));
  const rows = await reviewRows(page);
  assert.ok(rows.length >= 10, `${rows.length} answers reviewed`);
  await assertOneChangeLinkPerAnswer(page, rows, 'Ändern');
  await check('review');
  // Change one answer and come straight back to the review.
  const colour = rows.find((r) => r.label === 'Farbe');
  assert.equal(colour.href, '/be/fahrraddiebstahl/schritt/fahrrad#f-farbe');
  await navigating(page, () => page.locator(`main a[href="${colour.href}"]`).click());
  assertStep(page, 'be', 'fahrraddiebstahl', 'fahrrad');
  if (js) {
    // The link lands on the answer it names.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-farbe');
  }
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

/** The review page's answers: label, value and the change link's path and fragment. */
function reviewRows(page) {
  return page.locator('main dl.summary-list .summary-row').evaluateAll((rows) => rows.map((row) => {
    const link = row.querySelector('dd.actions a');
    return {
      label: row.querySelector('dt').textContent.trim(),
      value: row.querySelector('dd.value').textContent.trim(),
      href: link && new URL(link.href).pathname + new URL(link.href).hash,
      linkName: link && link.textContent.replace(/\s+/g, ' ').trim(),
    };
  }));
}

/** Every answer has its own change link, to a question on its step, named after the answer. */
async function assertOneChangeLinkPerAnswer(page, rows, word) {
  for (const row of rows) {
    assert.equal(row.linkName, `${word} ${row.label}`, `the change link of ${row.label}`);
    assert.match(row.href, /\/schritt\/[a-z_]+#f-[a-z0-9_-]+$/, `${row.label} links to its question`);
  }
  const links = await page.locator('main dl.summary-list a', { hasText: word }).count();
  assert.equal(links, rows.length, 'one change link per answer, no more');
}

/** After "add" or "remove": the URL names the item and it has focus (JavaScript on). */
async function assertLandedOn(page, id, legend) {
  assert.equal(new URL(page.url()).hash, `#${id}`);
  const focused = await page.evaluate(() => ({
    id: document.activeElement.id,
    legend: document.activeElement.querySelector('legend')?.textContent.trim(),
  }));
  assert.deepEqual(focused, { id, legend });
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
          'f-vorname': 'John', 'f-nachname': 'Doe', 'f-geburtsdatum-day': '31', 'f-geburtsdatum-month': '01', 'f-geburtsdatum-year': '1970',
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
      // Focus lands on the new witness (the URL fragment names it; the script focuses it).
      await assertLandedOn(page, 'f-zeugen-item-0', 'Witness 1');
      await fillStep(page, { fill: { 'f-zeugen-0-zeuge_name': 'Ann Gone', 'f-zeugen-0-zeuge_email': 'ann@example.org' } });
      await pressAction(page, 'add:zeugen');
      await assertLandedOn(page, 'f-zeugen-item-1', 'Witness 2');
      await fillStep(page, { fill: { 'f-zeugen-1-zeuge_name': 'Jane Witness', 'f-zeugen-1-zeuge_email': 'jane@example.org' } });
      // Removing the first lands on the next one, now first; what was typed is kept.
      await pressAction(page, 'remove:zeugen.0');
      await assertLandedOn(page, 'f-zeugen-item-0', 'Witness 1');
      assert.equal(await page.locator('#f-zeugen-0-zeuge_name').inputValue(), 'Jane Witness');
      assert.equal(await page.locator('input[name="f-zeugen-count"]').inputValue(), '1');
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
      assert.ok(!review.includes('Ann Gone'), 'the removed witness is gone');
      // The witness has rows of its own, each answer with its own change link.
      const rows = await reviewRows(page);
      const witness = rows.filter((r) => r.label.startsWith('Witness 1 – '));
      assert.deepEqual(witness.map((r) => [r.label, r.value]), [
        ['Witness 1 – Name', 'Jane Witness'], ['Witness 1 – E-mail address', 'jane@example.org'],
      ]);
      assert.equal(witness[0].href, '/bb/betrug/schritt/beteiligte#f-zeugen-0-zeuge_name');
      await assertOneChangeLinkPerAnswer(page, rows, 'Change');
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

  test('an admin publishes a variant; a broken upload changes nothing', async () => {
    await withPage({}, (page) => adminPublishesVariant(page));
    // A citizen (no cookies) sees the new version at once.
    await withPage({}, async (page) => {
      await page.goto(`${server.url}/be/hinweis`);
      assert.equal((await page.locator('h1').innerText()).trim(), HINWEIS_TITLE);
      await startReport(page, server.url, 'be', 'hinweis');
    });
  });

  test('a clerk signs in, lists, filters and opens reports, downloads an envelope, signs out', async () => {
    await withPage({}, (page) => clerkListsReports(page));
  });

  test('keyboard only: staff sign-in', async () => {
    const password = addUser(server, { role: 'clerk', state: 'be', username: 'tastatur-clerk' });
    await withPage({}, async (page) => {
      await page.goto(`${server.url}/anmelden`);
      await tabTo(page, 'username');
      await page.keyboard.type('tastatur-clerk');
      await tabTo(page, 'password');
      await page.keyboard.type(password);
      await navigating(page, () => page.keyboard.press('Enter'));
      assert.equal(new URL(page.url()).pathname, '/polizei/berichte');
    });
  });
});

/**
 * Where each field type is shown: [type, state/form, step, selector of that field].
 * `setup` prepares the draft when the step is conditional or the field is in a group.
 */
const FIELD_TYPES = [
  ['yes_no', 'be/fahrraddiebstahl', 'gefahr', '#f-gefahr_akut-0'],
  ['radio', 'be/fahrraddiebstahl', 'meldende_person', '#f-meldende_art-0'],
  ['text', 'be/fahrraddiebstahl', 'meldende_person', '#f-vorname'],
  ['memorable_date', 'be/fahrraddiebstahl', 'meldende_person', '#f-geburtsdatum-day'],
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
  ['date', 'be/hinweis', 'hinweis', '#f-hinweis_datum'],
  ['time', 'be/hinweis', 'hinweis', '#f-hinweis_uhrzeit'],
  ['url', 'bb/betrug', 'betrug', '#f-webseite'],
  ['iban', 'bb/betrug', 'betrug', '#f-empfaenger_iban'],
  ['vin', 'be/diebstahl', 'fahrzeug', '#f-kfz_fin'],
];
const ALL_TYPES = [
  'text', 'textarea', 'email', 'phone', 'date', 'memorable_date', 'time', 'time_span', 'select', 'radio',
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
      // Drafts are keyed by a labelled SHA-256 of the cookie's secret (crypto/draft_secret.rs,
      // `row_id`); move the idle expiry into the past.
      const secret = Buffer.from(cookie.value, 'base64url');
      const id = createHash('sha256')
        .update(Buffer.concat([Buffer.from('internetwache/draft-id/v1'), secret]))
        .digest('hex');
      const changed = sqlite(`UPDATE drafts SET idle_expires_at = '2000' || substr(idle_expires_at, 5) WHERE id = '${id}'; SELECT changes();`);
      assert.equal(changed, '1');
      await page.goto(`${server.url}/be/fahrraddiebstahl/schritt/meldende_person`);
      assert.equal(await page.locator('h1').innerText(), 'Ihre Sitzung ist abgelaufen');
      await checkPage(page, 'expired');
    });
  });

  test('axe: landing page with no state chosen (server-side error summary)', async () => {
    await withPage({}, async (page) => {
      // Browsers stop an empty choice (required radio); scripts, old browsers and Enter
      // in some assistive tools do not, so the server answers with an error summary.
      const res = await page.goto(`${server.url}/melden`);
      assert.equal(res.status(), 422);
      assert.match(await page.title(), /^Fehler: /);
      const link = page.locator('.error-summary a');
      assert.match(await link.innerText(), /Wählen Sie das Bundesland/);
      await checkPage(page, 'landing-error');
      await link.click();
      assert.equal(await page.evaluate(() => document.activeElement?.name), 'state');
    });
  });

  test('axe: Leichte Sprache, Gebärdensprache, accessibility statement and privacy, linked from every footer', async () => {
    await withPage({}, async (page) => {
      const pages = [
        ['easy-language', '/leichte-sprache', 'Leichte Sprache'],
        ['sign-language', '/gebaerdensprache', 'Gebärdensprache'],
        ['accessibility-statement', '/barrierefreiheit', 'Barrierefreiheit'],
        ['privacy', '/datenschutz', 'Datenschutz'],
      ];
      for (const [name, path, linkText] of pages) {
        // Reached from the footer of a citizen step, a staff page and the page itself.
        await page.goto(`${server.url}/anmelden`);
        await navigating(page, () => page.locator('footer').getByRole('link', { name: linkText, exact: true }).click());
        assert.equal(new URL(page.url()).pathname, path);
        assert.equal(await page.locator('footer').getByRole('link', { name: linkText, exact: true }).count(), 1);
        await checkPage(page, name);
      }
      // The video placeholder loads nothing and carries its text.
      await page.goto(`${server.url}/gebaerdensprache`);
      assert.equal(await page.locator('main figure figcaption').count(), 1);
      assert.equal(await page.locator('main :is(video, iframe, object, embed)').count(), 0);
      assert.match(await page.locator('main').innerText(), /Die Telefon-Nummer ist 110/);
      // In English too.
      await navigating(page, () => page.locator('.lang-switch a[hreflang="en"]').click());
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await page.goto(`${server.url}/leichte-sprache`);
      assert.match(await page.locator('h1').innerText(), /easy read/);
      await checkPage(page, 'easy-language-en');
    });
  });

  test('axe: error page (404)', async () => {
    await withPage({}, async (page) => {
      const res = await page.goto(`${server.url}/be/gibt-es-nicht`);
      assert.equal(res.status(), 404);
      await checkAxe(page, 'not-found');
    });
  });

  test('axe: staff sign-in (with an error), delivery queue, audit log', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${server.url}/anmelden`);
      await checkPage(page, 'staff-sign-in');
      await page.locator('#username').fill('niemand');
      await page.locator('#password').fill('falsches Passwort');
      await navigating(page, () => page.locator('main form[action="/anmelden"] button[type=submit]').click());
      await page.locator('.error-summary').waitFor();
      assert.match(await page.title(), /^Fehler: /);
      assert.equal(await page.locator('#username').inputValue(), 'niemand');
      assert.equal(await page.locator('#password').inputValue(), '', 'the password is never sent back');
      for (const id of ['username', 'password']) {
        assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), 'true');
        assert.match(await page.locator(`#${id}`).getAttribute('aria-describedby'), /sign-in-error/);
      }
      await checkPage(page, 'staff-sign-in-error');

      // A report whose delivery job waits for the police receipt, so the queue has a row.
      const caseNumber = await fileShortReport(page, server.url);
      await page.context().clearCookies();
      const password = addUser(server, { role: 'admin', state: 'be', username: 'axe-admin' });
      await signIn(page, server.url, 'axe-admin', password);
      await page.goto(`${server.url}/verwaltung/warteschlange`);
      assert.equal(await page.locator('h1').innerText(), 'Zustellung: offene Aufträge');
      assert.ok((await tableRows(page)).some((r) => r[2] === caseNumber), `the queue lists ${caseNumber}`);
      await checkPage(page, 'staff-queue');
      await page.goto(`${server.url}/verwaltung/protokoll`);
      assert.equal(await page.locator('h1').innerText(), 'Protokoll');
      // The sign-ins above are in the log.
      assert.ok((await page.locator('main table').innerText()).includes('axe-admin'));
      await checkPage(page, 'staff-audit');
    });
  });
});

/** Every page type the run must have checked with axe. */
const AXE_PAGE_TYPES = [
  'landing', 'landing-error', 'state', 'start', 'step-error', 'step-textarea', 'review',
  'confirmation', 'print', 'start-en', 'step-group-en', 'review-en', 'confirmation-en',
  'referral', 'find-state', 'find-state-error', 'expired', 'not-found',
  'easy-language', 'easy-language-en', 'sign-language', 'accessibility-statement', 'privacy',
  'staff-sign-in', 'staff-sign-in-error', 'staff-queue', 'staff-audit',
  'admin-variants', 'admin-upload', 'admin-upload-error', 'admin-preview',
  'clerk-reports', 'clerk-report',
  ...new Set(FIELD_TYPES.map(([, form, step]) => `step-${form.replace('/', '-')}-${step}`)),
];

// Last in the file: node:test runs top-level suites in order.
describe('axe coverage', () => {
  test(`axe checked all ${AXE_PAGE_TYPES.length} page types`, () => {
    const missing = AXE_PAGE_TYPES.filter((name) => !axeChecked.has(name));
    const unexpected = [...axeChecked.keys()].filter((name) => !AXE_PAGE_TYPES.includes(name));
    assert.deepEqual({ missing, unexpected }, { missing: [], unexpected: [] });
    assert.equal(axeChecked.size, AXE_PAGE_TYPES.length);
  });
});

const HINWEIS_TITLE = 'Hinweise an die Polizei Berlin & "Test"';
/** A changed copy of forms/be/hinweis.toml: a new title; the comment tests escaping. */
const HINWEIS_UPLOAD = `${readFileSync(join(REPO_FORMS, 'be/hinweis.toml'), 'utf8').trimEnd()}
# Browser-Test: <geändert> & "zitiert" – 'einfach'
title = { de = "Hinweise an die Polizei Berlin & \\"Test\\"", en = "Tips to the Berlin police" }
`;
/** Broken: an unclosed inline table on line 4. */
const BROKEN_UPLOAD = 'id = "hinweis"\nversion = 1\nextends = "base/hinweis"\ntitle = { de = "kaputt"\n';

/** Cell texts of the variants table, per row. */
function tableRows(page) {
  return page.locator('main table.data tbody tr').evaluateAll(
    (rows) => rows.map((r) => [...r.cells].map((c) => c.innerText.trim())),
  );
}

async function adminPublishesVariant(page) {
  const password = addUser(server, { role: 'admin', state: 'be', username: 'berta-admin' });
  await signIn(page, server.url, 'berta-admin', password);
  assert.equal(new URL(page.url()).pathname, '/verwaltung/formulare');
  assert.equal(await page.locator('h1').innerText(), 'Formularvarianten');
  const before = await tableRows(page);
  const hinweis = before.filter((r) => r[1] === 'hinweis');
  assert.deepEqual(hinweis.map((r) => [r[0], r[3], r[4]]), [['BE', 'v2', 'aktiv']]);
  await checkPage(page, 'admin-variants');

  await navigating(page, () => page.getByRole('link', { name: 'Neue Variante hochladen' }).click());
  assert.equal(new URL(page.url()).pathname, '/verwaltung/formulare/neu');
  await checkPage(page, 'admin-upload');

  // A broken file: problems with line numbers, the text is kept, nothing is stored.
  await page.locator('#source').fill(BROKEN_UPLOAD);
  await navigating(page, () => page.getByRole('button', { name: 'Prüfen und Vorschau zeigen' }).click());
  const problems = page.locator('.error-summary .problems li');
  await problems.first().waitFor();
  assert.match(await page.title(), /^Fehler: /);
  assert.match(await problems.first().innerText(), /^Zeile \d+: /);
  assert.equal(await page.locator('#source').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#source').getAttribute('aria-describedby'), 'source-problems');
  assert.equal((await page.locator('#source').inputValue()).replace(/\r\n/g, '\n'), BROKEN_UPLOAD);
  await checkPage(page, 'admin-upload-error');
  await page.goto(`${server.url}/verwaltung/formulare`);
  assert.deepEqual(await tableRows(page), before, 'a broken upload changes nothing');

  // The changed copy, as a file: preview of every step, not yet published.
  await page.goto(`${server.url}/verwaltung/formulare/neu`);
  await page.locator('#file').setInputFiles({ name: 'hinweis.toml', mimeType: 'text/plain', buffer: Buffer.from(HINWEIS_UPLOAD) });
  await navigating(page, () => page.getByRole('button', { name: 'Prüfen und Vorschau zeigen' }).click());
  assert.equal(await page.locator('h1').innerText(), `Vorschau: ${HINWEIS_TITLE}`);
  const steps = page.locator('main section.preview-step');
  const stepCount = (readFileSync(join(REPO_FORMS, 'base/hinweis.toml'), 'utf8').match(/^\[\[steps\]\]/gm) ?? []).length;
  assert.equal(await steps.count(), stepCount, 'every step is previewed');
  for (let i = 0; i < stepCount; i++) {
    assert.ok((await steps.nth(i).locator('h2').innerText()).trim(), `step ${i + 1} has a title`);
    assert.ok(await steps.nth(i).locator('.preview-fields :is(input, select, textarea)').count() > 0, `step ${i + 1} shows fields`);
  }
  // The text to publish travels in a hidden input, unchanged.
  assert.equal(await page.locator('main input[type=hidden][name=source]').inputValue(), HINWEIS_UPLOAD);
  await checkPage(page, 'admin-preview');
  await page.goto(`${server.url}/verwaltung/formulare`);
  assert.deepEqual(await tableRows(page), before, 'a preview alone changes nothing');

  // Again (pasted this time), and publish.
  await page.goto(`${server.url}/verwaltung/formulare/neu`);
  await page.locator('#source').fill(HINWEIS_UPLOAD);
  await navigating(page, () => page.getByRole('button', { name: 'Prüfen und Vorschau zeigen' }).click());
  await navigating(page, () => page.getByRole('button', { name: 'Veröffentlichen' }).click());
  assert.equal(new URL(page.url()).pathname, '/verwaltung/formulare');
  const after = (await tableRows(page)).filter((r) => r[1] === 'hinweis').map((r) => [r[3], r[4], r[5]]);
  assert.deepEqual(after.map((r) => r.slice(0, 2)).sort(), [['v2', 'ältere Version'], ['v3', 'aktiv']]);
  assert.equal(after.find((r) => r[0] === 'v3')[2], 'Hochgeladen (berta-admin)', 'the upload names its admin');

  // The stored source is what was uploaded: the hidden-input round trip kept every character.
  await navigating(page, () => page.locator('main a[href="/verwaltung/formulare/be/hinweis/3"]').click());
  assert.equal(await page.locator('h1').innerText(), `Vorschau: ${HINWEIS_TITLE}`);
  const stored = await page.locator('main details pre').textContent();
  assert.equal(stored.replace(/\r\n/g, '\n'), HINWEIS_UPLOAD);
}

async function clerkListsReports(page) {
  const caseNumber = await fileShortReport(page, server.url);
  await page.context().clearCookies();
  const password = addUser(server, { role: 'clerk', state: 'be', username: 'carl-clerk' });
  await signIn(page, server.url, 'carl-clerk', password);
  assert.equal(new URL(page.url()).pathname, '/polizei/berichte');
  assert.equal(await page.locator('h1').innerText(), 'Eingegangene Berichte');
  const headers = await page.locator('main table.data thead th').allInnerTexts();
  assert.deepEqual(headers, ['Aktenzeichen', 'Kategorie', 'Formularversion', 'Eingang', 'Zustellung', 'Dienststelle']);
  const row = async () => (await tableRows(page)).find((r) => r[0] === caseNumber);
  const cells = await row();
  assert.ok(cells, `the list shows ${caseNumber}`);
  assert.equal(cells[1], 'lob-und-beschwerde');
  assert.equal(cells[2], 'lob-und-beschwerde v2');
  assert.match(cells[3], /\d/, 'a received time');
  assert.match(cells[4], /^(offen|zugestellt)$/);
  assert.match(cells[5], /Polizei|Internetwache/, 'an office of Berlin');
  await checkPage(page, 'clerk-reports');

  // Filters: another category hides it; its own category shows it.
  await page.locator('#filter-category').selectOption('hinweis');
  await navigating(page, () => page.getByRole('button', { name: 'Anwenden' }).click());
  assert.equal(new URL(page.url()).searchParams.get('category'), 'hinweis');
  assert.equal(await row(), undefined, 'filtered out');
  await page.locator('#filter-category').selectOption('lob-und-beschwerde');
  await navigating(page, () => page.getByRole('button', { name: 'Anwenden' }).click());
  assert.equal(await page.locator('#filter-category').inputValue(), 'lob-und-beschwerde');
  assert.ok(await row(), 'its own category shows it');

  // Detail.
  await navigating(page, () => page.locator(`main table a[href="/polizei/berichte/${caseNumber}"]`).click());
  assert.equal((await page.locator('#case-number').innerText()).trim(), caseNumber);
  const detail = await page.locator('main dl').innerText();
  for (const text of ['lob-und-beschwerde v2', 'BE']) assert.ok(detail.includes(text), `detail shows ${text}`);
  await checkPage(page, 'clerk-report');

  // The envelope, as a file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`main a[href="/polizei/berichte/${caseNumber}/umschlag"]`).click(),
  ]);
  const raw = readFileSync(await download.path(), 'utf8');
  assert.ok(raw.includes('"version":1'), 'envelope format version 1');
  assert.equal(JSON.parse(raw).version, 1);
  assert.ok(!raw.includes('Jannowitzbrücke'), 'the envelope is encrypted');

  // Sign out: the session ends.
  await navigating(page, () => page.getByRole('button', { name: 'Abmelden' }).click());
  await page.goto(`${server.url}/polizei/berichte`);
  assert.equal(new URL(page.url()).pathname, '/anmelden');
}

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
