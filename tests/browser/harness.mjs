// The browser tests' harness: a temporary data directory seeded by
// scripts/demo-seed-console, `recall serve` on a free loopback port, TOTP codes
// (RFC 6238) on the server's clock, a small HTTP client for the API, and
// Debian's chromium driven by playwright-core (tests/node/node_modules).
// Everything started here is stopped by stop() and, should the process die
// first, by the exit and signal handlers.
//
// Environment: RECALL_BINARY (default build/recall), BROWSER_CONSOLE_DIR (serve
// the console from this folder instead of the copy embedded in the binary),
// BROWSER_KEEP=1 (keep the temporary folder), CHROMIUM (default /usr/bin/chromium).
// Nothing here logs PHI: the data is synthetic, and still no name, phone or
// message text is printed.
import { spawn, execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RECALL = process.env.RECALL_BINARY || path.join(REPO, 'build', 'recall');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// A weekday at 18:00 UTC: 12:00 in Chicago (the practice), 10:00 in Seattle and
// 13:00 in New York (the synthetic patients' zones), inside every quiet-hours
// rule and the practice's 08:00-20:00 window (src/dispatch/send_window.h).
export const CLOCK = process.env.BROWSER_TEST_CLOCK || '2026-12-01T18:00:00Z';

// --- TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) ---------------------
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.toUpperCase().replace(/=+$/, '')) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totp(secretBase32, unixMillis) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixMillis / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

// --- processes -------------------------------------------------------------------
const children = new Set();
function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killAll();
    process.exit(128 + os.constants.signals[signal]);
  });
}

async function recallCli(args, env) {
  return execFileP(RECALL, args, { env, maxBuffer: 64 << 20 });
}

// Starts the whole fixture. Returns {url, origin, data, outbox, creds, ...}.
export async function startConsole() {
  if (!fs.existsSync(RECALL)) throw new Error(`no recall binary at ${RECALL} (set RECALL_BINARY)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recall-browser-'));
  const data = path.join(dir, 'data');
  const kannelSecret = randomBytes(16).toString('hex');
  const env = {
    ...process.env,
    RECALL: RECALL,
    RECALL_TEST_CLOCK: CLOCK,
    RECALL_ARGON2_TEST_PARAMS: '1',
    RECALL_KANNEL_WEBHOOK_SECRET: kannelSecret,
  };
  delete env.RECALL_DATA;

  // The seeding prints the demo passwords: they go to a log in the temp folder.
  const seedLog = path.join(dir, 'seed.log');
  try {
    const { stdout, stderr } = await execFileP(path.join(REPO, 'scripts', 'demo-seed-console'), [data], {
      env, maxBuffer: 64 << 20,
    });
    fs.writeFileSync(seedLog, stdout + stderr);
  } catch (e) {
    fs.writeFileSync(seedLog, `${e.stdout || ''}${e.stderr || ''}`);
    throw new Error(`scripts/demo-seed-console failed (exit ${e.code}); see ${seedLog}:\n${String(e.stderr || '').slice(-2000)}`);
  }
  const credsPath = path.join(data, 'demo-console.json');
  const mode = fs.statSync(credsPath).mode & 0o777;
  const creds = JSON.parse(fs.readFileSync(credsPath, 'utf8'));

  const serveArgs = ['--data', data, '--json', 'serve', '--listen', '127.0.0.1:0'];
  if (process.env.BROWSER_CONSOLE_DIR) serveArgs.push('--console-dir', path.resolve(process.env.BROWSER_CONSOLE_DIR));
  const started = Date.now();
  const server = spawn(RECALL, serveArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(server);
  const serverLog = fs.createWriteStream(path.join(dir, 'serve.log'));
  server.stderr.pipe(serverLog);
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => {
    children.delete(server);
    resolve({ code, signal });
  }));
  const first = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('recall serve did not print its URL within 20 s')), 20000);
    server.stdout.on('data', (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`recall serve exited (${code}) before serving; see ${path.join(dir, 'serve.log')}`));
    });
  });
  const { url } = JSON.parse(first);
  const origin = new URL(url).origin;
  const practice = creds.practice_id;
  const user = (login) => {
    const u = creds.users.find((x) => x.login === login);
    if (!u) throw new Error(`no demo user ${login}`);
    return u;
  };

  const fixture = {
    dir, data, url: origin, origin, creds, credsMode: mode, practice, kannelSecret, env,
    outbox: path.join(data, 'outbox-files'),
    campaignId: creds.campaign_id,
    user,
    // The server's engine clock started at CLOCK when it opened (just after spawn).
    serverNow: () => Date.parse(CLOCK) + (Date.now() - started),
    code: (login) => totp(user(login).totp_secret, Date.parse(CLOCK) + (Date.now() - started)),
    cli: (args) => recallCli(['--data', data, '--json', ...args], env),
    async api(method, p, { token, body, headers = {} } = {}) {
      const h = { Accept: 'application/json', ...headers };
      if (token) h.Authorization = `Bearer ${token}`;
      if (body !== undefined) h['Content-Type'] = 'application/json';
      const res = await fetch(origin + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async login(login) {
      const r = await fixture.api('POST', '/v1/auth/login', {
        body: { login, password: user(login).password, totp: fixture.code(login) },
      });
      if (r.status !== 200) throw new Error(`API login as ${login}: ${r.status} ${r.text.slice(0, 200)}`);
      return r.json.token;
    },
    // Every file under the file channel's folder (messages sent).
    outboxFiles() {
      const out = [];
      const walk = (d) => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (!e.name.startsWith('.')) out.push(p);
        }
      };
      walk(fixture.outbox);
      return out;
    },
    async stop({ failed = false } = {}) {
      if (children.has(server)) {
        server.kill('SIGTERM');
        const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 10000));
        const done = await Promise.race([exited, timeout]);
        if (!done) server.kill('SIGKILL');
        await exited;
      }
      serverLog.end();
      if (process.env.BROWSER_KEEP || failed) {
        console.log(`browser tests: data and logs kept in ${dir}`);
      } else {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return fixture;
}

// playwright-core from tests/node (installed by scripts/install-deps: npm ci).
export async function loadPlaywright() {
  const entry = path.join(REPO, 'tests', 'node', 'node_modules', 'playwright-core', 'index.mjs');
  if (!fs.existsSync(entry)) {
    throw new Error('tests/node/node_modules/playwright-core is missing: run scripts/install-deps (npm ci --prefix tests/node)');
  }
  return import(entry);
}

export async function launchChromium() {
  const { chromium } = await loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

// Polls fn() until it returns a truthy value (returned) or the time is up.
export async function eventually(fn, { timeout = 20000, interval = 250, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
