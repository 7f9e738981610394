// The police side for the browser tests: police keys, the intake's configuration for push
// or pull, a real `internetwache inbox` process on its own database, fresh PostgreSQL
// databases, and what a page shows as (section, label, value) triples.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { binaryPath } from './server.mjs';

/** The shared secret of state `be` (push signatures, receipts, status messages). */
export const SECRET = 'browser-test-shared-secret-be';

/** Settings that make the intake's delivery workers quick to retry. */
export const QUICK_WORKERS = {
  IW_WORKERS: '2',
  IW_WORKER_POLL_MS: '100',
  IW_JOB_BACKOFF_BASE_MS: '10',
  IW_JOB_BACKOFF_CAP_SECS: '1',
};

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Runs the binary with exactly `env` (plus PATH); returns stdout, throws with stderr. */
export function run(args, env, input = '') {
  const res = spawnSync(binaryPath(), args, {
    env: { PATH: process.env.PATH, ...env }, input, encoding: 'utf8', timeout: 60_000,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`internetwache ${args.join(' ')} exited ${res.status}:\n${res.stderr}`);
  return res.stdout;
}

/** `internetwache keys generate --state be --out DIR`: the `[[police.be.keys]]` block. */
export function generateKey(dir) {
  return run(['keys', 'generate', '--state', 'be', '--out', dir], {});
}

/** The intake's internetwache.toml for `be`: the key and push to `pushUrl` or pull. */
export function intakeConfig(keyBlock, delivery) {
  const mode = delivery.pushUrl
    ? `mode = "push"\nurl = "${delivery.pushUrl}"\nsecret = "${SECRET}"\n`
    : `mode = "pull"\nreceipt_secret = "${SECRET}"\n`;
  return `[police.be]\nops_email = "ops@polizei.example"\n${keyBlock}\n[police.be.delivery]\n${mode}`;
}

/**
 * A fresh PostgreSQL database under `IW_TEST_POSTGRES_URL` (created with psql);
 * returns { url, drop() }.
 */
export function createPgDatabase(prefix) {
  const admin = process.env.IW_TEST_POSTGRES_URL;
  assert.ok(admin, 'IW_TEST_POSTGRES_URL is not set');
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const psql = (sql) => {
    const res = spawnSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { encoding: 'utf8' });
    assert.equal(res.status, 0, `psql ${sql}: ${res.stderr}`);
  };
  psql(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Runs `internetwache inbox` with its own data dir and database until `/healthz` answers.
 * `state` is the `[states.be]` table; `port` defaults to a free one. Returns { url, env, cli(), stop() }.
 */
export async function startInbox({ dir, keyDir, databaseUrl, state, port }) {
  mkdirSync(dir, { recursive: true });
  port ??= await freePort();
  const config = join(dir, 'inbox.toml');
  writeFileSync(config, `[states.be]\n${state}`);
  const env = {
    IW_INBOX_CONFIG: config,
    IW_INBOX_BIND: `127.0.0.1:${port}`,
    IW_INBOX_DATA_DIR: join(dir, 'data'),
    IW_INBOX_DATABASE_URL: databaseUrl ?? `sqlite://${join(dir, 'inbox.db')}`,
    IW_INBOX_KEY_DIRS: keyDir,
    IW_INBOX_PULL_INTERVAL_SECS: '1',
    IW_INBOX_LOG_LEVEL: 'warn',
  };
  const logPath = join(dir, 'inbox.log');
  const log = openSync(logPath, 'a');
  const child = spawn(binaryPath(), ['inbox'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', log, log] });
  let exited = null;
  child.once('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the inbox answers /healthz', 60_000, async () => {
    if (exited) throw new Error(`inbox exited ${JSON.stringify(exited)}:\n${readFileSync(logPath, 'utf8')}`);
    try { return (await fetch(`${url}/healthz`)).status === 200; } catch { return false; }
  });
  return {
    url,
    logPath,
    cli: (args, input) => run(['inbox', ...args], env, input),
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Polls `condition` every 100 ms until it is true; fails after `ms`. */
export async function waitFor(what, ms, condition) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    assert.ok(Date.now() < deadline, `gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What the page shows as [section heading, label, value] triples: the citizen's review
 * page (`table.summary-list` rows) or the inbox's report (`dl.summary-list` rows), each
 * under the nearest <h2> before it. Whitespace is collapsed.
 */
export function answerTriples(page) {
  return page.evaluate(() => {
    const clean = (s) => s.replace(/\s+/g, ' ').trim();
    const out = [];
    let section = '';
    for (const el of document.querySelectorAll('main h2, main .summary-list tr, main .summary-list .summary-row')) {
      if (el.tagName === 'H2') { section = clean(el.textContent); continue; }
      const [label, value] = el.tagName === 'TR'
        ? [el.querySelector('th'), el.querySelector('td')]
        : [el.querySelector('dt'), el.querySelector('dd')];
      if (label && value) out.push([section, clean(label.textContent), clean(value.textContent)]);
    }
    return out;
  });
}
