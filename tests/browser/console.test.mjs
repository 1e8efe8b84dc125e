// The web console in a real browser (issue 7): Debian's chromium driven by
// playwright-core against `recall serve` on a data directory seeded by
// scripts/demo-seed-console. Run by CTest (browser_console_test) or by hand:
//
//   RECALL_BINARY=build/recall BROWSER_SCREENSHOTS_DIR=/tmp/shots node --test-reporter=spec tests/browser/console.test.mjs
//
// (BROWSER_CONSOLE_DIR=web/console serves the console from the source tree
// instead of the copy embedded in the binary.) Exits 77 (CTest: skipped) only
// when /usr/bin/chromium is missing; scripts/install-deps installs it.
//
// The flows use the labels of the console's contract (accessible names: Login,
// Password, Authenticator code, Sign in, ...). Screenshots of every page, at
// desktop width and at 390 px, go to $BROWSER_SCREENSHOTS_DIR.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { CHROMIUM, REPO, eventually, launchChromium, startConsole } from './harness.mjs';

if (!fs.existsSync(CHROMIUM)) {
  console.log(`SKIP: ${CHROMIUM} is missing (scripts/install-deps installs Debian's chromium)`);
  process.exit(77);
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
  + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SHOTS = process.env.BROWSER_SCREENSHOTS_DIR || path.join(REPO, 'build', 'browser-screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const BLOCKED_SMS = 'Hi {{first_name}}, {{practice_name}} here. Time to check on your diabetes. '
  + 'Call {{practice_phone}} to book. Reply STOP to opt out.';
const FIXED_SMS = 'Hi {{first_name}}, {{practice_name}} here. It has been a while: spring is a good time for your '
  + 'next visit. Call {{practice_phone}} to book. Reply STOP to opt out.';

let fx;           // the fixture (harness.mjs)
let browser;
let failed = false;
const contexts = [];
// Problems seen by the page guards (external requests, CSP, console errors), per page.
const guardProblems = [];

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fx = await startConsole();
  browser = await launchChromium();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (fx) await fx.stop({ failed });
  console.log(`browser tests: screenshots in ${SHOTS}`);
});

// Marks the run failed (so the temporary folder is kept), pictures every open
// page as failure-N-*.png, and rethrows.
let failures = 0;
async function step(fn) {
  try {
    return await fn();
  } catch (e) {
    failed = true;
    failures += 1;
    let n = 0;
    for (const c of contexts) {
      for (const page of c.pages()) {
        n += 1;
        await page.screenshot({ path: path.join(SHOTS, `failure-${failures}-${n}.png`), fullPage: true, timeout: 5000 })
          .catch(() => {});
      }
    }
    throw e;
  }
}

// A browser context that refuses every request to another origin and records
// any console error (CSP violations show there).
async function newContext(label, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, baseURL: fx.origin, acceptDownloads: true });
  context.setDefaultTimeout(15000);
  contexts.push(context);
  await context.route('**/*', (route) => {
    const u = route.request().url();
    let origin = '';
    try {
      origin = new URL(u).origin;
    } catch {
      origin = '';
    }
    if (origin !== fx.origin) {
      guardProblems.push(`${label}: request to another origin: ${origin || u.slice(0, 80)}`);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('page', (page) => watchPage(page, label));
  return context;
}

// Requests in flight per page, so a screenshot waits for the page's data
// (a hash route changes without a load event).
const inflight = new WeakMap();

function watchPage(page, label) {
  const pending = new Set();
  inflight.set(page, pending);
  page.on('request', (r) => pending.add(r));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => pending.delete(r));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) {
      guardProblems.push(`${label}: ${msg.text().slice(0, 300)}`);
    }
  });
  page.on('pageerror', (err) => guardProblems.push(`${label}: uncaught ${String(err.message).slice(0, 300)}`));
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (u.origin !== fx.origin) return;
    if (u.pathname === '/console' || u.pathname.startsWith('/console/')) {
      const csp = res.headers()['content-security-policy'];
      if (csp !== CSP) guardProblems.push(`${label}: ${u.pathname} answered ${res.status()} with CSP ${JSON.stringify(csp)}`);
    }
  });
}

async function signIn(context, login) {
  const page = await context.newPage();
  await page.goto('/console/#/login');
  await page.getByLabel('Login', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(fx.user(login).password);
  await page.getByLabel('Authenticator code').fill(fx.code(login));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

// A full-page screenshot, cut at 5,000 px (a long list need not be pictured whole).
async function shot(page, name) {
  const file = path.join(SHOTS, `${name}.png`);
  const { width, height } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
  }));
  const clip = height > 5000 ? { x: 0, y: 0, width, height: 5000 } : undefined;
  await page.screenshot({ path: file, fullPage: true, clip });
  return file;
}

// Waits until the hash route has rendered its main heading and any long
// operation's <progress> has gone.
async function openRoute(page, hash) {
  await page.goto(`/console/${hash}`);
  await page.locator('main h1').first().waitFor();
  await settle(page);
}

// No request in flight for 300 ms (at most 15 s), and no <progress> showing.
async function settle(page) {
  const pending = inflight.get(page) || new Set();
  const end = Date.now() + 15000;
  let quietSince = Date.now();
  while (Date.now() < end) {
    if (pending.size) quietSince = Date.now();
    else if (Date.now() - quietSince >= 300) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.waitForFunction(() => ![...document.querySelectorAll('main progress')].some((p) => p.offsetParent !== null),
    null, { timeout: 30000 }).catch(() => {});
}

async function templateId(token, name) {
  const r = await fx.api('GET', `/v1/practices/${fx.practice}/templates?limit=500`, { token });
  assert.equal(r.status, 200, r.text);
  const t = r.json.items.find((x) => x.name === name);
  assert.ok(t, `template ${name}`);
  return t.template_id;
}

// One CSV line (RFC 4180 quoting) into its fields.
function csvFields(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

async function campaignState(token) {
  const r = await fx.api('GET', `/v1/practices/${fx.practice}/campaigns/${fx.campaignId}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.state;
}

// The number in the "Sent" column of the report table's total (or largest) row.
async function reportedSent(page) {
  return page.evaluate(() => {
    let best = -1;
    for (const table of document.querySelectorAll('table')) {
      const heads = [...table.querySelectorAll('thead th, thead td')].map((c) => c.textContent.trim().toLowerCase());
      const col = heads.indexOf('sent');
      if (col < 0) continue;
      for (const row of table.querySelectorAll('tbody tr, tfoot tr')) {
        const cell = row.querySelectorAll('th, td')[col];
        const n = cell ? Number(cell.textContent.replace(/[^0-9]/g, '')) : NaN;
        if (Number.isFinite(n)) best = Math.max(best, n);
      }
    }
    return best;
  });
}

// Run inside a page: references to another origin, inline scripts, unlabelled
// fields, sideways scrolling (naming the widest elements).
function pageChecks() {
  const out = [];
  const here = location.origin;
  for (const el of document.querySelectorAll('*')) {
    for (const attr of ['src', 'href', 'action', 'formaction', 'poster', 'data', 'srcset', 'xlink:href', 'background']) {
      const v = el.getAttribute(attr);
      if (!v) continue;
      for (const part of attr === 'srcset' ? v.split(',').map((x) => x.trim().split(/\s+/)[0]) : [v]) {
        let u;
        try {
          u = new URL(part, document.baseURI);
        } catch {
          continue;
        }
        if (['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.origin !== here) {
          out.push(`<${el.localName} ${attr}> points to ${u.origin}`);
        }
      }
    }
  }
  for (const x of document.querySelectorAll('script')) {
    if (!x.src && x.textContent.trim()) out.push('an inline <script> body');
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) out.push(`an unlabelled <${el.localName}${el.name ? ` name=${el.name}` : ''}>`);
  }
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    const describe = (el) => `${el.localName}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')}`;
    const clipped = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
      }
      return false;
    };
    const wide = [...document.body.querySelectorAll('*')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !clipped(el))
      .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1))
      .slice(0, 3)
      .map((el) => `${describe(el.parentElement)} > ${describe(el)} (${Math.round(el.getBoundingClientRect().right)} px)`);
    out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px wide in ${width}): ${wide.join('; ')}`);
  }
  return out;
}

test('the seeding wrote the demo sign-ins (0600) and a submitted campaign', () => step(async () => {
  assert.equal(fx.credsMode, 0o600);
  assert.deepEqual(fx.creds.users.map((u) => u.role).sort(), ['approver', 'auditor', 'operator', 'staff']);
  const token = await fx.login('operator');
  assert.equal(await campaignState(token), 'submitted');
}));

test('(a) edit a template into a block, fix it, resubmit, approve, start, watch messages flow', () => step(async () => {
  // --- the operator edits the SMS template ------------------------------------------
  const operatorContext = await newContext('operator');
  const op = await signIn(operatorContext, 'operator');
  await op.getByRole('link', { name: 'Campaigns', exact: true }).click();
  await op.getByRole('link', { name: 'Spring recall' }).first().click();
  await op.getByRole('heading', { level: 1, name: 'Spring recall' }).waitFor();
  for (const name of ['Sequence', 'Audience', 'Report']) await op.getByRole('heading', { name, exact: true }).waitFor();
  await op.getByText('submitted', { exact: false }).first().waitFor();
  const opToken = await fx.login('operator');
  const smsTemplate = await templateId(opToken, 'spring-recall-sms-en');
  await openRoute(op, `#/templates/${smsTemplate}`);

  const text = op.getByLabel('Template text');
  await text.waitFor();
  await text.fill(BLOCKED_SMS);
  await op.getByRole('button', { name: 'Check text' }).click();
  const block = op.locator('mark.finding.finding-block').first();
  await block.waitFor();
  assert.match(await block.textContent(), /diabetes/i, 'the highlighted block is the diagnosis');
  assert.ok(await block.getAttribute('title'), 'a finding names its category in its title');
  await op.locator('[aria-label="Findings"]').first().waitFor();
  await shot(op, 'template-blocked');

  // Saving the blocked text is refused by the server (422), shown in an alert.
  await op.getByRole('button', { name: 'Save new version' }).click();
  await op.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
  await op.locator('mark.finding.finding-block').first().waitFor();

  await text.fill(FIXED_SMS);
  await op.getByRole('button', { name: 'Check text' }).click();
  await eventually(async () => (await op.locator('mark.finding-block').count()) === 0, { message: 'no block finding' });
  await op.getByRole('button', { name: 'Save new version' }).click();
  await eventually(async () => (await campaignState(opToken)) === 'draft',
    { message: 'the campaign back in draft after the template changed' });

  // --- resubmit ----------------------------------------------------------------------
  await openRoute(op, `#/campaigns/${fx.campaignId}`);
  await op.getByRole('button', { name: 'Submit for approval' }).click();
  await eventually(async () => (await campaignState(opToken)) === 'submitted', { message: 'submitted again' });
  await op.getByText('submitted').first().waitFor();

  // --- the author may not approve -------------------------------------------------------
  const refused = await fx.api('POST', `/v1/practices/${fx.practice}/campaigns/${fx.campaignId}/approve`, {
    token: opToken,
    body: { name: 'Sam Rivera', title: 'Operator', statement: 'I approve this exact content' },
  });
  assert.equal(refused.status, 403, 'the operator (the author) cannot approve');
  await openRoute(op, `#/campaigns/${fx.campaignId}/approve`);
  const opApprove = op.getByRole('button', { name: 'Approve', exact: true });
  if (await opApprove.isVisible() && await opApprove.isEnabled()) {
    await op.getByLabel('Your name').fill('Sam Rivera');
    await op.getByLabel('Your title').fill('Operator');
    await op.getByLabel('I approve this exact content').check();
    await opApprove.click();
    await op.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
  }
  assert.equal(await campaignState(opToken), 'submitted');

  // --- the approver reviews and signs ------------------------------------------------------
  const approverContext = await newContext('approver');
  const ap = await signIn(approverContext, 'approver');
  await openRoute(ap, `#/campaigns/${fx.campaignId}`);
  await ap.getByRole('link', { name: 'Review and approve' }).click();
  const variants = ap.locator('article.variant');
  await variants.first().waitFor();
  assert.ok(await variants.count() >= 3, 'one variant per step, channel and language (sms, email, rvm)');
  await ap.getByText(/\b\d+ segments?\b/).first().waitFor();
  await ap.locator('article.variant audio[controls]').first().waitFor({ state: 'attached' });
  await eventually(async () => /^blob:/.test(await ap.locator('article.variant audio[controls]').first().getAttribute('src') || ''),
    { message: 'the voicemail audio loaded as a blob: URL' });
  await shot(ap, 'approve-submitted');

  // Signing in the author's name is refused (campaigns::Approve), in an alert.
  await ap.getByLabel('Your name').fill('Operator');
  await ap.getByLabel('Your title').fill('Practice Manager');
  await ap.getByLabel('I approve this exact content').check();
  await ap.getByRole('button', { name: 'Approve', exact: true }).click();
  await ap.getByRole('alert').filter({ hasText: /author/i }).first().waitFor();
  assert.equal(await campaignState(opToken), 'submitted');

  await ap.getByLabel('Your name').fill('Dana Whitlock');
  if (!(await ap.getByLabel('I approve this exact content').isChecked())) {
    await ap.getByLabel('I approve this exact content').check();
  }
  await ap.getByRole('button', { name: 'Approve', exact: true }).click();
  await eventually(async () => (await campaignState(opToken)) === 'approved', { message: 'approved' });

  // --- the operator starts it; the worker sends through the file channel ---------------------
  await openRoute(op, `#/campaigns/${fx.campaignId}`);
  const sentBefore = await reportedSent(op);
  assert.ok(fx.outboxFiles().length === 0, 'nothing sent before the start');
  await op.getByRole('button', { name: 'Start campaign' }).click();
  await eventually(async () => ['running', 'scheduled', 'completed'].includes(await campaignState(opToken)),
    { message: 'the campaign running' });
  const files = await eventually(() => fx.outboxFiles().length >= 10 && fx.outboxFiles(),
    { timeout: 60000, message: 'messages in the file channel folder' });
  assert.ok(files.length >= 10);
  // What went out is the approved text, never the blocked one (contents are not printed).
  const sent = files.map((f) => fs.readFileSync(f, 'utf8'));
  assert.ok(sent.some((t) => t.includes('spring is a good time for your next visit')), 'the approved SMS text was sent');
  assert.ok(!sent.some((t) => /diabetes/i.test(t)), 'the blocked text was never sent');
  await op.locator('svg[role="img"][aria-label="Report chart"]').first().waitFor();
  await eventually(async () => {
    const refresh = op.getByRole('button', { name: 'Refresh report' });
    if (await refresh.count()) await refresh.first().click();
    else await op.reload();
    return (await reportedSent(op)) > Math.max(0, sentBefore);
  }, { timeout: 30000, interval: 1000, message: 'the report table showing messages sent' });
  await shot(op, 'campaign-running');
}));

test('(b) record a verbal opt-out and see it in the consent history', () => step(async () => {
  const staffContext = await newContext('staff');
  const page = await signIn(staffContext, 'staff');
  await page.getByRole('link', { name: 'Consent', exact: true }).click();
  await page.getByLabel('Patient ID').fill('SYN0000020');
  await page.getByRole('button', { name: 'Look up' }).click();
  const history = page.getByRole('heading', { name: 'Evidence history' }).locator('xpath=following::table[1]');
  await page.getByRole('heading', { name: 'Evidence history' }).waitFor();
  const rowsBefore = await history.locator('tbody tr').count();
  await page.getByLabel('Note').fill('Patient asked by phone to stop all messages (browser test).');
  await page.getByRole('button', { name: 'Record opt-out' }).click();
  await eventually(async () => (await history.locator('tbody tr').count()) > rowsBefore,
    { message: 'a new row in the evidence history' });
  await history.locator('tbody tr', { hasText: /staff.?verbal/i }).first().waitFor();
  const token = await fx.login('staff');
  const consent = await fx.api('GET', `/v1/practices/${fx.practice}/patients/SYN0000020/consent`, { token });
  assert.equal(consent.status, 200, consent.text);
  const sms = consent.json.cells.find((c) => c.channel === 'sms' && c.purpose === 'care');
  assert.equal(sms.state, 'revoked');
  await shot(page, 'consent-after-opt-out');
}));

test('(c) work an urgent hand-off: acknowledge, reply, resolve', () => step(async () => {
  // A patient's own number from the same synthetic export the seeding imported:
  // a cell phone whose every holder said Y to SMS (no opt-out in the way of a reply).
  const { stdout } = await fx.cli(['synth', 'patients', '--rows', '1000', '--seed', '1', '--consent-columns']);
  const [header, ...rows] = stdout.trim().split(/\r?\n/).map(csvFields);
  const cellAt = header.indexOf('Cell Phone');
  const smsAt = header.indexOf('SMS Consent');
  assert.ok(cellAt >= 0 && smsAt >= 0, 'the synthetic export has Cell Phone and SMS Consent columns');
  const byPhone = new Map();
  for (const r of rows) {
    if (!r[cellAt]) continue;
    if (!byPhone.has(r[cellAt])) byPhone.set(r[cellAt], []);
    byPhone.get(r[cellAt]).push(r[smsAt]);
  }
  const phones = [...byPhone.entries()].filter(([, consents]) => consents.every((c) => c === 'Y')).map(([p]) => p);
  assert.ok(phones.length >= 2);
  // First an ordinary question (an "other" item), then the urgent one: the queue puts urgent first.
  const inbound = async (phone, text, id) => {
    const q = new URLSearchParams({ from: `+1${phone.replace(/[^0-9]/g, '')}`, to: '+12175550100', text, id });
    const hook = await fx.api('GET', `/v1/webhooks/kannel/${fx.kannelSecret}/sms?${q}`);
    assert.equal(hook.status, 200, hook.text);
  };
  await inbound(phones[1], 'Can I stop by tomorrow afternoon?', 'browser-test-1');
  await inbound(phones[0], 'I am in severe pain', 'browser-test-2');

  const staffContext = await newContext('staff-handoff');
  const page = await signIn(staffContext, 'staff');
  await page.getByRole('link', { name: 'Hand-offs', exact: true }).click();
  await page.getByText(/urgent/i).first().waitFor();
  const firstRow = page.locator('main tbody tr, main li').filter({ has: page.locator('a[href^="#/handoffs/"]') }).first();
  assert.match(await firstRow.textContent(), /urgent/i, 'the urgent item is listed first');
  await firstRow.locator('a[href^="#/handoffs/"]').first().click();
  await page.getByText('I am in severe pain').first().waitFor();
  const hid = decodeURIComponent(new URL(page.url()).hash.split('/')[2] || '');
  assert.match(hid, /^hof_/);

  const token = await fx.login('staff');
  const item = async () => (await fx.api('GET', `/v1/practices/${fx.practice}/handoffs/${hid}`, { token })).json;
  // Each action re-renders the item: wait for it to settle before the next one.
  const assign = page.getByLabel('Assign to');
  const options = await assign.locator('option').allTextContents();
  const mine = options.find((o) => /^me$/i.test(o.trim())) || options.find((o) => /Jamie/.test(o));
  assert.ok(mine, 'the staff member can be chosen in "Assign to"');
  await assign.selectOption({ label: mine });
  const assignButton = page.getByRole('button', { name: 'Assign', exact: true });
  if (await assignButton.count()) await assignButton.click();
  await eventually(async () => (await item()).assignee, { message: 'assigned' });
  await settle(page);

  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await eventually(async () => (await item()).status === 'acknowledged', { message: 'acknowledged' });
  await eventually(async () => (await page.getByRole('button', { name: 'Acknowledge' }).count()) === 0,
    { message: 'the page showing the item acknowledged' });
  await settle(page);

  const before = fx.outboxFiles().length;
  await page.getByLabel('Reply', { exact: true }).fill('Thank you for your message. Someone from the office will call you in a few minutes.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await eventually(() => fx.outboxFiles().length > before, { message: 'the reply in the file channel folder' });
  await eventually(async () => JSON.stringify(await item()).includes('replied'), { message: 'the reply in the history' });
  await settle(page);
  await page.getByRole('button', { name: 'Resolve' }).click();
  await eventually(async () => (await item()).status === 'resolved', { message: 'resolved' });
  const events = JSON.stringify((await item()).events || (await item()).history || []);
  assert.match(events, /replied/);
  await shot(page, 'handoff-resolved');
}));

test('the auditor verifies the chain and exports the records', () => step(async () => {
  const auditorContext = await newContext('auditor');
  const page = await signIn(auditorContext, 'auditor');
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  for (const label of ['From', 'To', 'Action', 'Actor']) await page.getByLabel(label, { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Search' }).waitFor();
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await page.getByText(/\d[\d,]* records? checked/i).first().waitFor();
  await page.getByText(/\bOK\b/).first().waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30000 }),
    page.getByRole('button', { name: 'Export' }).or(page.getByRole('link', { name: 'Export' })).first().click(),
  ]);
  const file = path.join(fx.dir, 'audit-export.jsonl');
  await download.saveAs(file);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  assert.ok(lines.length > 10, 'the export holds the practice\'s records');
  for (const line of lines.slice(0, 50)) assert.ok(JSON.parse(line).seq, 'one JSON audit record per line');
  await shot(page, 'audit-verified');
}));

// Every page, as a user who may see it: no external origin anywhere, the CSP on
// every console response, labelled fields, no sideways scroll at 390 px; a
// screenshot at each width.
test('(d)+(e) every page: no external origin, the CSP, labels, phone width; screenshots', () => step(async () => {
  const token = await fx.login('staff');
  const handoffs = await fx.api('GET', `/v1/practices/${fx.practice}/handoffs`, { token });
  const handoffId = handoffs.json && handoffs.json.items && handoffs.json.items[0] && handoffs.json.items[0].handoff_id;
  const opToken = await fx.login('operator');
  const smsTemplate = await templateId(opToken, 'spring-recall-sms-en');
  const pages = [
    ['login', null, '#/login'],
    ['campaigns', 'approver', '#/campaigns'],
    ['campaign', 'approver', `#/campaigns/${fx.campaignId}`],
    ['approve', 'approver', `#/campaigns/${fx.campaignId}/approve`],
    ['template', 'operator', `#/templates/${smsTemplate}`],
    ['consent', 'staff', '#/patients'],
    ['consent-patient', 'staff', '#/patients/SYN0000020'],
    ['handoffs', 'staff', '#/handoffs'],
    ['handoff', 'staff', handoffId ? `#/handoffs/${handoffId}` : '#/handoffs'],
    ['audit', 'auditor', '#/audit'],
    ['settings', 'approver', '#/settings'],
    ['import', 'operator', '#/import'],
  ];
  const problems = [];
  const written = [];
  const sessions = {};
  for (const [name, login, hash] of pages) {
    const started = Date.now();
    const before = guardProblems.length;
    let page;
    if (login) {
      if (!sessions[login]) sessions[login] = await signIn(await newContext(login), login);
      page = sessions[login];
    } else {
      page = await (await newContext('anonymous')).newPage();
    }
    await page.setViewportSize(DESKTOP);
    await openRoute(page, hash);
    // The same page at both widths: CSS media queries follow the viewport.
    for (const [width, viewport] of [['desktop', DESKTOP], ['390px', PHONE]]) {
      await page.setViewportSize(viewport);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const found = await page.evaluate(pageChecks);
      problems.push(...found.map((f) => `${name} (${width}): ${f}`));
      written.push(await shot(page, `${name}-${width}`));
    }
    problems.push(...guardProblems.slice(before));
    console.log(`browser tests: ${name}: ${Date.now() - started} ms`);
  }
  console.log(`browser tests: ${written.length} screenshots in ${SHOTS}`);
  assert.deepEqual(problems, [], `problems:\n${problems.join('\n')}`);
}));

test('no page broke a guard during the flows (external requests, CSP, console errors)', () => step(async () => {
  assert.deepEqual(guardProblems, [], guardProblems.join('\n'));
}));
