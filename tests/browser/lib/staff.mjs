// Helpers for the staff pages: accounts through the CLI, sign-in, a short citizen report.
import assert from 'node:assert/strict';

import { CASE_NUMBER, fillStep, navigating, pressAction, startReport } from './citizen.mjs';

/** Creates a staff account with `internetwache user add`; returns its password. */
export function addUser(server, { role, state, username }) {
  const password = `Browser-Test-${role}-${username}-Passwort`;
  const args = ['user', 'add', '--role', role, '--username', username];
  if (state) args.push('--state', state);
  server.cli(args, { input: `${password}\n` });
  return password;
}

/** Signs in through the German sign-in page; lands on the role's home page. */
export async function signIn(page, baseUrl, username, password) {
  await page.goto(`${baseUrl}/anmelden`);
  assert.equal(await page.locator('h1').innerText(), 'Anmelden');
  await page.getByLabel('Benutzername').fill(username);
  await page.getByLabel('Passwort').fill(password);
  await navigating(page, () => page.locator('main form[action="/anmelden"] button[type=submit]').click());
  assert.notEqual(new URL(page.url()).pathname, '/anmelden', `sign-in as ${username} failed`);
}

/** Files a short "Lob und Beschwerde" report in Berlin; returns its case number. */
export async function fileShortReport(page, baseUrl) {
  await startReport(page, baseUrl, 'be', 'lob-und-beschwerde');
  await fillStep(page, {
    check: ['f-meldende_art-0'],
    fill: {
      'f-vorname': 'Paula', 'f-nachname': 'Probe', 'f-geburtsdatum-day': '29', 'f-geburtsdatum-month': '02', 'f-geburtsdatum-year': '1980',
      'f-strasse': 'Karl-Marx-Allee 1', 'f-plz': '10178', 'f-ort': 'Berlin',
      'f-email': 'paula@example.org',
    },
  });
  await pressAction(page, 'next');
  await fillStep(page, {
    check: ['f-anliegen_art-0', 'f-antwort_gewuenscht-1'],
    fill: { 'f-anliegen_text': 'Danke für die schnelle Hilfe an der Jannowitzbrücke.' },
  });
  await pressAction(page, 'next');
  await fillStep(page, { check: ['f-wahrheit-0', 'f-datenschutz-0'] });
  await pressAction(page, 'next');
  assert.equal(new URL(page.url()).pathname, '/be/lob-und-beschwerde/pruefen');
  await navigating(page, () => page.getByRole('button', { name: 'Anzeige verbindlich absenden' }).click());
  const caseNumber = (await page.locator('#case-number').innerText()).trim();
  assert.match(caseNumber, CASE_NUMBER('BE'));
  return caseNumber;
}
