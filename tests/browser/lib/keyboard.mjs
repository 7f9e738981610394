// A whole report by keyboard alone: Tab, Shift+Tab, Space, arrow keys, Enter and typing.
import assert from 'node:assert/strict';

import { CASE_NUMBER, navigating } from './citizen.mjs';

/** What has focus: its id, else name, else tag and text; with whether focus is visible. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { key: 'body', visible: true };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow !== 'none';
    const key = el.id || (el.name ? `${el.name}=${el.value}` : `${el.tagName.toLowerCase()}:${el.textContent.trim()}`);
    const box = el.getBoundingClientRect();
    return { key, visible: outline || shadow, onScreen: box.right > 0 && box.bottom > 0 && box.width > 0 };
  });
}

/** Presses `key` and asserts the newly focused element shows a focus indicator. */
export async function press(page, key) {
  await page.keyboard.press(key);
  const f = await focused(page);
  assert.ok(f.visible, `focus on "${f.key}" after ${key} has no visible outline or box-shadow`);
  if (f.key !== 'body') assert.ok(f.onScreen, `focused "${f.key}" is off screen`);
  return f.key;
}

/** Tabs forward until the focused element's key is (or matches) `target`; returns the keys passed. */
export async function tabTo(page, target, max = 80) {
  const hit = typeof target === 'function' ? target : (k) => k === target;
  const seen = [];
  for (let i = 0; i < max; i++) {
    const key = await press(page, 'Tab');
    if (seen.at(-1) !== key) seen.push(key); // date inputs take a Tab per segment
    if (hit(key)) return seen;
  }
  throw new Error(`"${target}" not reached by Tab; focus went through ${seen.join(', ')}`);
}

/** Keys to type a date into `<input type=date>`, in the browser's segment order. */
async function dateTyper(page) {
  const probe = await page.context().newPage();
  await probe.setContent('<input type="date" id="d">');
  await probe.locator('#d').focus();
  await probe.keyboard.type('01022003');
  const value = await probe.locator('#d').inputValue();
  await probe.close();
  const order = { '2003-01-02': 'MDY', '2003-02-01': 'DMY' }[value];
  assert.ok(order, `unknown date input order (typed 01022003, got ${value})`);
  return (iso) => {
    const [y, m, d] = iso.split('-');
    return order === 'MDY' ? `${m}${d}${y}` : `${d}${m}${y}`;
  };
}

/** Tabs to each field in turn and answers it: text, date, or a key for radios and checkboxes. */
async function answerByKeyboard(page, answers, dateKeys) {
  for (const [id, answer] of answers) {
    await tabTo(page, id);
    if (answer.type !== undefined) await page.keyboard.type(answer.type);
    if (answer.date !== undefined) await page.keyboard.type(dateKeys(answer.date));
    if (answer.key !== undefined) await press(page, answer.key);
  }
}

/** Tabs to the step's "Weiter" button and presses Enter. */
async function continueByKeyboard(page) {
  await tabTo(page, 'action=next');
  await navigating(page, () => page.keyboard.press('Enter'));
}

/** The first Tab stop is the skip link; Enter on it moves focus to <main>. */
async function skipToMain(page) {
  const first = await press(page, 'Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link', `first Tab stop is ${first}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'main');
}

export async function keyboardJourney(page, baseUrl) {
  const dateKeys = await dateTyper(page);

  // Landing: the skip link is the first stop and moves focus to <main>.
  await page.goto(baseUrl);
  await skipToMain(page);

  // Berlin: tab into the state radios, arrow to Berlin, continue.
  let key = (await tabTo(page, (k) => k.startsWith('state-'))).at(-1);
  for (let i = 0; i < 20 && key !== 'state-be'; i++) key = await press(page, 'ArrowDown');
  assert.equal(key, 'state-be');
  if (!(await page.locator('#state-be').isChecked())) await press(page, 'Space');
  assert.ok(await page.locator('#state-be').isChecked());
  await tabTo(page, 'button:Weiter');
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).pathname, '/be');

  await tabTo(page, 'a:Lob und Beschwerde');
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde');
  await tabTo(page, 'button:Jetzt beginnen');
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/schritt/meldende_person');

  // Tab order on a step: skip link, <main>, the back link at the top, then the fields top
  // to bottom (the company's name stays hidden until "Firma" is chosen), then "Weiter".
  await skipToMain(page);
  const order = await tabTo(page, 'action=next');
  assert.deepEqual(order, [
    'action=back', 'f-meldende_art-0', 'f-vorname', 'f-nachname', 'f-geburtsdatum-day',
    'f-geburtsdatum-month', 'f-geburtsdatum-year', 'f-geburtsort', 'f-strasse', 'f-plz', 'f-ort', 'f-land', 'f-telefon', 'f-email',
    'action=next',
  ]);
  assert.equal(await press(page, 'Shift+Tab'), 'f-email');

  // Fill the step from the top.
  await page.reload();
  await answerByKeyboard(page, [
    ['f-meldende_art-0', { key: 'Space' }],
    ['f-vorname', { type: 'Kim' }],
    ['f-nachname', { type: 'Tastatur' }],
    ['f-geburtsdatum-day', { type: '4' }],
    ['f-geburtsdatum-month', { type: '3' }],
    ['f-geburtsdatum-year', { type: '1990' }],
    ['f-strasse', { type: 'Alexanderplatz 1' }],
    ['f-plz', { type: '10178' }],
    ['f-ort', { type: 'Berlin' }],
    ['f-email', { type: 'kim@example.org' }],
  ], dateKeys);
  assert.equal(await page.locator('#f-geburtsdatum-year').inputValue(), '1990');
  await continueByKeyboard(page);

  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/schritt/anliegen');
  await answerByKeyboard(page, [
    ['f-anliegen_art-0', { key: 'Space' }],
    ['f-anliegen_text', { type: 'Die Beamten am Alexanderplatz waren sehr hilfsbereit.' }],
    ['f-antwort_gewuenscht-0', { key: 'ArrowDown' }], // "Nein"
  ], dateKeys);
  assert.ok(await page.locator('#f-antwort_gewuenscht-1').isChecked());
  await continueByKeyboard(page);

  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/schritt/abschluss');
  await answerByKeyboard(page, [
    ['f-wahrheit-0', { key: 'Space' }],
    ['f-datenschutz-0', { key: 'Space' }],
  ], dateKeys);
  await continueByKeyboard(page);

  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/pruefen');
  await tabTo(page, 'button:Anzeige verbindlich absenden');
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/bestaetigung');
  assert.match((await page.locator('#case-number').innerText()).trim(), CASE_NUMBER('BE'));
}
