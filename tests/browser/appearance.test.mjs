// What the eye sees: focus indicators with 3:1 contrast on every kind of focusable
// element (WCAG 1.4.11), and buttons that keep their edge in forced-colours mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { buttonEdges, measureFocus } from './lib/appearance.mjs';
import { launchBrowser, newContext } from './lib/browser.mjs';
import { pressAction, startReport } from './lib/citizen.mjs';
import { startServer } from './lib/server.mjs';
import { addUser, signIn } from './lib/staff.mjs';

let server;
let browser;
let adminPassword;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  adminPassword = addUser(server, { role: 'admin', state: 'be', username: 'look-admin' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const STEP = (step) => `/be/fahrraddiebstahl/schritt/${step}`;

/** How to reach each page the checks look at, in one browser context. */
const PAGES = {
  landing: (page) => page.goto(server.url),
  'easy-language': (page) => page.goto(`${server.url}/leichte-sprache`),
  step: async (page) => {
    await startReport(page, server.url, 'be', 'fahrraddiebstahl');
    await page.goto(server.url + STEP('meldende_person'));
  },
  'step-error': async (page) => {
    await page.goto(server.url + STEP('meldende_person'));
    await pressAction(page, 'next'); // everything empty: the error summary
    await page.locator('.error-summary').waitFor();
  },
  'time-step': (page) => page.goto(server.url + STEP('tatzeit')),
  textarea: (page) => page.goto(server.url + STEP('hergang')),
  group: async (page) => {
    await page.goto(server.url + STEP('beteiligte'));
    await pressAction(page, 'add:zeugen');
  },
  upload: (page) => page.goto(server.url + STEP('beweise')),
  consent: (page) => page.goto(server.url + STEP('abschluss')),
  'staff-variants': async (page) => {
    await signIn(page, server.url, 'look-admin', adminPassword);
    await page.goto(`${server.url}/verwaltung/formulare`);
  },
  'staff-stored-variant': (page) => page.goto(`${server.url}/verwaltung/formulare/be/hinweis/2`),
  'staff-audit': (page) => page.goto(`${server.url}/verwaltung/protokoll`),
};

/** [kind of element, page, selector]: one of each kind of focusable element. */
const FOCUSABLE = [
  ['skip link', 'landing', '.skip-link'],
  ['link on the blue header', 'landing', '.site-header .brand'],
  ['language switch', 'landing', '.lang-switch a'],
  ['link in the red emergency panel', 'landing', 'main .panel-emergency a[href="tel:110"]'],
  ['radio', 'landing', '#state-be'],
  ['primary button', 'landing', 'form.choose-state button[type=submit]'],
  ['link on the grey footer', 'landing', '.site-footer a[href="/datenschutz"]'],
  ['text link', 'easy-language', 'main a[href="/datenschutz"]'],
  ['back button styled as a link', 'step', 'main button.back-link'],
  ['text input', 'step', '#f-vorname'],
  ['date input', 'time-step', '#f-tatzeit-from-date'],
  ['select', 'step', '#f-land'],
  ['error summary', 'step-error', '.error-summary'],
  ['error summary link', 'step-error', '.error-summary a'],
  ['textarea', 'textarea', '#f-tathergang'],
  ['secondary button', 'group', '#f-zeugen-add'],
  ['group item "add" lands on', 'group', '#f-zeugen-item-0'],
  ['file input', 'upload', '#f-beweise'],
  ['checkbox', 'consent', '#f-wahrheit-0'],
  ['link styled as a button', 'staff-variants', 'main a.button'],
  ['warning button', 'staff-variants', 'main button.button-warning'],
  ['summary of a details element', 'staff-stored-variant', 'main details summary'],
  ['scrolling table region', 'staff-audit', '.table-scroll'],
];

/** Visits the pages in order, in one context, and runs `check(page, name)` on each. */
async function onEveryPage(names, check, options = {}) {
  const context = await newContext(browser, options);
  try {
    const page = await context.newPage();
    for (const name of names) {
      await PAGES[name](page);
      await check(page, name);
    }
  } finally {
    await context.close();
  }
}

describe('visible focus and edges', () => {
  test('focus contrast is at least 3:1 on every kind of focusable element', async () => {
    const failures = [];
    const pages = [...new Set(FOCUSABLE.map((r) => r[1]))];
    await onEveryPage(pages, async (page, name) => {
      for (const [kind, , selector] of FOCUSABLE.filter((r) => r[1] === name)) {
        const m = await measureFocus(page, selector);
        assert.ok(!m.missing, `${kind}: nothing matches ${selector} on ${name}`);
        assert.ok(!m.notFocusable, `${kind}: ${selector} on ${name} takes no focus`);
        if (m.best.ratio < 3) {
          failures.push(`${kind} (${selector} on ${name}): best ${m.best.ratio.toFixed(2)}:1 against ${m.background}; parts ${JSON.stringify(m.parts)}`);
        }
      }
    });
    assert.deepEqual(failures, [], `focus indicators under 3:1:\n${failures.join('\n')}`);
  });

  test('forced colours: every button shows a visible edge', async () => {
    const pages = ['landing', 'step', 'group', 'staff-variants'];
    const seen = new Set();
    const failures = [];
    await onEveryPage(pages, async (page, name) => {
      await page.emulateMedia({ forcedColors: 'active' });
      assert.ok(await page.evaluate(() => matchMedia('(forced-colors: active)').matches), 'forced colours are on');
      const buttons = await buttonEdges(page);
      assert.ok(buttons.length > 0, `${name} has buttons`);
      for (const b of buttons) {
        seen.add(b.name.split(' ')[0]);
        if (!b.visible) failures.push(`${name}: ${b.name}`);
      }
    });
    assert.deepEqual(failures, [], `buttons without a visible edge in forced colours:\n${failures.join('\n')}`);
    // The kinds this covered: primary, secondary, link-style, warning and a link as a button.
    for (const kind of ['button.button', 'button.button.button--secondary', 'button.back-link.link-button', 'button.button.button-warning', 'a.button']) {
      assert.ok(seen.has(kind), `a ${kind} was checked (seen: ${[...seen].join(', ')})`);
    }
  });
});
