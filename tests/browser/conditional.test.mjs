// Conditional questions (GOV.UK conditional reveal) and the memorable date, with and
// without JavaScript.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { checkAxe, launchBrowser, withPage } from './lib/browser.mjs';
import { assertStep, fillStep, pressAction, startReport } from './lib/citizen.mjs';
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

const STEP = (form, step) => `/be/${form}/schritt/${step}`;
const FIRMA = 'Für eine Firma, einen Verein oder eine Einrichtung';

/** The other required answers of "Angaben zu Ihrer Person". */
const PERSON = {
  'f-vorname': 'Erika', 'f-nachname': 'Mustermann',
  'f-geburtsdatum-day': '17', 'f-geburtsdatum-month': '5', 'f-geburtsdatum-year': '1985',
  'f-strasse': 'Platz der Republik 1', 'f-plz': '10557', 'f-ort': 'Berlin', 'f-email': 'erika@example.org',
};

/** The accessible names in the page's accessibility tree (what a screen reader can reach). */
async function accessibleText(page) {
  return page.locator('main').ariaSnapshot();
}

/** Whether the element is rendered: not `hidden`, not display:none (so not in the a11y tree). */
function displayed(page, selector) {
  return page.locator(selector).evaluate((el) => {
    for (let e = el; e; e = e.parentElement) if (e.hidden || getComputedStyle(e).display === 'none') return false;
    return true;
  });
}

/** Asserts the question `inputId` under `radioId` is hidden until that answer is chosen. */
async function revealsOnChoosing(page, { radioId, inputId, name, other, required = true }) {
  const radio = page.locator(`#${radioId}`);
  const box = `#${radioId}-conditional`;
  assert.equal(await radio.getAttribute('aria-controls'), `${radioId}-conditional`);
  assert.equal(await displayed(page, `#${inputId}`), false, `${inputId} hidden before its answer`);
  assert.equal(await page.locator(box).getAttribute('hidden'), '');
  assert.equal(await page.locator(`#${inputId}`).getAttribute('aria-required'), null);
  assert.ok(!(await accessibleText(page)).includes(name), `"${name}" absent from the accessibility tree`);

  await radio.check();
  assert.equal(await page.locator(box).getAttribute('hidden'), null);
  assert.equal(await displayed(page, `#${inputId}`), true, `${inputId} shown once its answer is chosen`);
  assert.ok((await accessibleText(page)).includes(name), `"${name}" in the accessibility tree`);
  // Reachable by keyboard: it follows its answer in the Tab order.
  await radio.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), inputId);
  // Announced as required only now that it applies (the scene's street is optional).
  assert.equal(await page.locator(`#${inputId}`).getAttribute('aria-required'), required ? 'true' : null);

  if (other) {
    await page.locator(`#${other}`).check();
    assert.equal(await page.locator(box).getAttribute('hidden'), '');
    assert.equal(await displayed(page, `#${inputId}`), false, `${inputId} hidden again`);
    assert.equal(await page.locator(`#${inputId}`).getAttribute('aria-required'), null);
    await radio.check();
  }
}

describe('conditional questions', () => {
  test('with JavaScript, a question is absent from the accessibility tree until its answer is chosen', async () => {
    await withPage(browser, {}, async (page) => {
      await startReport(page, server.url, 'be', 'fahrraddiebstahl');

      await page.goto(server.url + STEP('fahrraddiebstahl', 'meldende_person'));
      await checkAxe(page, 'conditional-person-hidden');
      await revealsOnChoosing(page, {
        radioId: 'f-meldende_art-1', inputId: 'f-firma_name', name: 'Name der Firma', other: 'f-meldende_art-0',
      });
      // Revealed, it needs no "(nur wenn …)".
      assert.equal(await displayed(page, '#f-meldende_art-1-conditional .only-if'), false);
      await checkAxe(page, 'conditional-person-revealed');

      // Left empty while it applies: the error summary names it, and the step comes back
      // with the answer chosen and the question shown under it.
      await fillStep(page, { fill: PERSON });
      await pressAction(page, 'next');
      assertStep(page, 'be', 'fahrraddiebstahl', 'meldende_person');
      const links = await page.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(links, ['#f-firma_name']);
      assert.ok(await page.locator('#f-meldende_art-1').isChecked());
      assert.equal(await displayed(page, '#f-firma_name'), true);
      assert.equal(await page.locator('#f-firma_name').getAttribute('aria-invalid'), 'true');
      await checkAxe(page, 'conditional-person-error');
      // The date of birth typed in boxes is kept as typed.
      assert.equal(await page.locator('#f-geburtsdatum-year').inputValue(), '1985');

      // "Für mich" instead: the same empty question no longer stops the step.
      await page.locator('#f-meldende_art-0').check();
      await pressAction(page, 'next');
      assertStep(page, 'be', 'fahrraddiebstahl', 'tatzeit');

      await page.goto(server.url + STEP('fahrraddiebstahl', 'tatort'));
      await revealsOnChoosing(page, {
        radioId: 'f-tatort_art-0', inputId: 'f-tatort_strasse', name: 'Postleitzahl des Tatorts', other: 'f-tatort_art-1', required: false,
      });
      assert.equal(await page.locator('#f-tatort_plz').getAttribute('aria-required'), 'true');
      await checkAxe(page, 'conditional-scene-revealed');

      await page.goto(server.url + STEP('fahrraddiebstahl', 'fahrrad'));
      await revealsOnChoosing(page, {
        radioId: 'f-codiert-0', inputId: 'f-codierung', name: 'Codiernummer', other: 'f-codiert-1',
      });
    });
  });

  test('without JavaScript, the question shows with "(nur wenn …)" and is not marked required', async () => {
    await withPage(browser, { javaScriptEnabled: false }, async (page) => {
      await startReport(page, server.url, 'be', 'fahrraddiebstahl');
      await page.goto(server.url + STEP('fahrraddiebstahl', 'meldende_person'));
      const label = (await page.locator('label[for="f-firma_name"]').innerText()).trim();
      assert.equal(label, `Name der Firma oder Einrichtung (nur wenn „${FIRMA}“ gewählt)`);
      const input = page.locator('#f-firma_name');
      assert.ok(await input.isVisible());
      assert.equal(await input.getAttribute('aria-required'), null);
      assert.equal(await input.getAttribute('required'), null);
      // No script turned the data attribute into aria-controls.
      assert.equal(await page.locator('#f-meldende_art-1').getAttribute('aria-controls'), null);
      // It sits under its answer, inside the radio group.
      assert.equal(await page.locator('#f-meldende_art-1-conditional #f-firma_name').count(), 1);

      // Left empty while it does not apply: the step goes on.
      await fillStep(page, { check: ['f-meldende_art-0'], fill: PERSON });
      await pressAction(page, 'next');
      assertStep(page, 'be', 'fahrraddiebstahl', 'tatzeit');

      await page.goto(server.url + STEP('fahrraddiebstahl', 'tatort'));
      const plz = (await page.locator('label[for="f-tatort_plz"]').innerText()).trim();
      assert.match(plz, /^Postleitzahl des Tatorts \(nur wenn „An einer Adresse/);
      assert.equal(await page.locator('#f-tatort_plz').getAttribute('aria-required'), null);
      // "Im Internet": the postal code left empty is fine.
      await fillStep(page, { check: ['f-tatort_art-1'] });
      await pressAction(page, 'next');
      assertStep(page, 'be', 'fahrraddiebstahl', 'fahrrad');
    });
  });
});

describe('memorable date', () => {
  test('en-US browser: 27 / 3 / 1985 typed into the boxes is stored and reviewed as 27.03.1985', async () => {
    await withPage(browser, { locale: 'en-US' }, async (page) => {
      await startReport(page, server.url, 'be', 'lob-und-beschwerde');
      assertStep(page, 'be', 'lob-und-beschwerde', 'meldende_person');
      await checkAxe(page, 'memorable-date');
      for (const [id, keys] of [['day', '27'], ['month', '3'], ['year', '1985']]) {
        await page.locator(`#f-geburtsdatum-${id}`).click();
        await page.keyboard.type(keys);
      }
      const { 'f-geburtsdatum-day': _d, 'f-geburtsdatum-month': _m, 'f-geburtsdatum-year': _y, ...rest } = PERSON;
      await fillStep(page, { check: ['f-meldende_art-0'], fill: rest });
      await pressAction(page, 'next');
      assertStep(page, 'be', 'lob-und-beschwerde', 'anliegen');
      await fillStep(page, {
        check: ['f-anliegen_art-0', 'f-antwort_gewuenscht-1'],
        fill: { 'f-anliegen_text': 'Freundliche Hilfe am Alexanderplatz.' },
      });
      await pressAction(page, 'next');
      assertStep(page, 'be', 'lob-und-beschwerde', 'abschluss');
      await fillStep(page, { check: ['f-wahrheit-0', 'f-datenschutz-0'] });
      await pressAction(page, 'next');
      assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/pruefen');
      const review = await page.locator('main').innerText();
      assert.match(review, /Geburtsdatum\s+27\.03\.1985/);
      await checkAxe(page, 'memorable-date-review');

      // Back on the step, the boxes hold the stored date.
      await page.goto(server.url + STEP('lob-und-beschwerde', 'meldende_person'));
      assert.deepEqual(
        await Promise.all(['day', 'month', 'year'].map((p) => page.locator(`#f-geburtsdatum-${p}`).inputValue())),
        ['27', '03', '1985'],
      );
    });
  });
});
