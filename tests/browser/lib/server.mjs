// Starts the real binary on a free port with a fresh data dir, and stops it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');

/** `$IW_BIN`, else the release binary, else the debug binary. */
export function binaryPath() {
  if (process.env.IW_BIN) return resolve(process.env.IW_BIN);
  const target = process.env.CARGO_TARGET_DIR
    ? resolve(process.env.CARGO_TARGET_DIR)
    : join(REPO, 'target');
  for (const profile of ['release', 'debug']) {
    const bin = join(target, profile, 'internetwache');
    if (existsSync(bin)) return bin;
  }
  throw new Error(`no internetwache binary: set IW_BIN or build ${join(target, 'release/internetwache')}`);
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * Runs `$IW_BIN serve` until `/readyz` answers 200.
 * Returns { url, dir, dbPath, cli(), stop() }; the server log is `<dir>/server.log`.
 */
export async function startServer(extraEnv = {}) {
  const bin = binaryPath();
  const dir = mkdtempSync(join(tmpdir(), 'iw-browser-'));
  const port = await freePort();
  const dbPath = join(dir, 'iw.db');
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'a');
  // The server refuses unknown IW_* settings, so the runner's own (IW_BIN, ...) stay out.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IW_')));
  const env = {
    ...inherited,
    IW_DATA_DIR: join(dir, 'var'),
    IW_DATABASE_URL: `sqlite://${dbPath}`,
    IW_FORMS_DIR: join(REPO, 'forms'),
    IW_MAIL_URL: `file://${join(dir, 'mail')}`,
    IW_BIND: `127.0.0.1:${port}`,
    // One address plays every citizen here; the rate limit has its own test in tests/api.
    IW_RATE_LIMIT_PER_MINUTE: '0',
    ...extraEnv,
  };
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', log, log] });
  let exited = null;
  child.once('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`${bin} serve exited (${JSON.stringify(exited)}); ${logPath}:\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${url}/readyz not ready within 60 s; see ${logPath}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  /**
   * Runs `$IW_BIN <args...>` against the server's database and data dir (same env),
   * with `input` on stdin. Returns stdout; throws with stderr when it exits non-zero.
   */
  function cli(args, { input = '' } = {}) {
    const res = spawnSync(bin, args, { env, input, encoding: 'utf8', timeout: 60_000 });
    if (res.error) throw res.error;
    if (res.status !== 0) {
      throw new Error(`internetwache ${args.join(' ')} exited ${res.status}:\n${res.stderr}`);
    }
    return res.stdout;
  }

  async function stop() {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    if (!process.env.IW_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  }
  return { url, dir, dbPath, logPath, bin, cli, stop };
}
