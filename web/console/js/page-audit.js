// Audit: search the practice's records (date, action, actor), verify the
// hash chain and its signed checkpoints, export as JSON Lines.

import { api, request, practicePath } from './api.js';
import { h, clear, field, table, alertBox, showError, statusBox, setStatus, busy, progressBar, formatTime,
  formatNumber } from './dom.js';
import { can, denied } from './state.js';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function detailsText(d) {
  if (d === null || d === undefined) return '';
  if (typeof d === 'string') return d;
  return Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
}

// Client-side narrowing too, so an older server that ignores the filters
// still shows what was asked for (within the page).
function matches(r, q) {
  if (q.from && String(r.time) < q.from) return false;
  if (q.to && String(r.time).slice(0, 10) > q.to) return false;
  if (q.action && (q.action.endsWith('.') ? !String(r.action).startsWith(q.action) : r.action !== q.action)) return false;
  if (q.actor && r.actor !== q.actor) return false;
  return true;
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, class: 'visually-hidden' }, filename);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function render(ctx) {
  const { main, signal } = ctx;
  main.append(h('h1', null, 'Audit log'),
    h('p', null, 'Every access to patient data and every change, hash-chained and signed. Records carry ids, never patient details.'));
  if (denied(main, 'audit.read', 'Reading the audit log')) return;
  const fromField = field('From', 'input', { type: 'date' });
  const toField = field('To', 'input', { type: 'date' });
  const actionField = field('Action', 'input', { placeholder: 'e.g. campaign.approve or campaign.', autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'audit-help' });
  const actorField = field('Actor', 'input', { placeholder: 'e.g. user:approver', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'audit-help' });
  const search = h('button', { type: 'submit', class: 'button-primary' }, 'Search');
  const verify = h('button', { type: 'button' }, 'Verify chain');
  const exportButton = h('button', { type: 'button' }, 'Export');
  const error = alertBox();
  const status = statusBox();
  const verifyResult = h('div', { class: 'verify-result', 'aria-live': 'polite' });
  const exporting = progressBar('Exporting audit records');
  const results = h('div');
  const more = h('button', { type: 'button', class: 'button-quiet' }, 'Next page');
  more.hidden = true;

  const form = h('form', { class: 'filters', novalidate: true },
    h('div', { class: 'grid-4' }, fromField.wrap, toField.wrap, actionField.wrap, actorField.wrap),
    h('p', { class: 'help', id: 'audit-help' }, 'Dates are whole days (UTC). An action matches exactly, or by prefix when it ends in "." ',
      '(campaign. finds every campaign action); an actor matches exactly (user:login, cli:name, system:…).'),
    h('div', { class: 'actions' }, search, verify, exportButton));
  main.append(form, error, status, verifyResult, exporting.wrap, results, more);

  const query = () => {
    const q = {
      from: fromField.input.value,
      to: toField.input.value,
      action: actionField.input.value.trim(),
      actor: actorField.input.value.trim(),
    };
    if ((q.from && !DATE_RE.test(q.from)) || (q.to && !DATE_RE.test(q.to))) {
      throw Object.assign(new Error('Dates are YYYY-MM-DD.'), { status: 400, code: 'bad_request' });
    }
    if (q.from && q.to && q.to < q.from) {
      throw Object.assign(new Error('"To" is before "From".'), { status: 400, code: 'bad_request' });
    }
    return q;
  };

  let rows = [];
  let next = null;
  let lastQuery = null;
  const draw = () => {
    clear(results);
    results.append(h('p', { class: 'muted' }, `${formatNumber(rows.length)} record(s) shown.`),
      table([
        { label: 'Seq', class: 'num', render: (r) => String(r.seq) },
        { label: 'Time', render: (r) => formatTime(r.time) },
        { label: 'Action', render: (r) => h('code', null, r.action) },
        { label: 'Actor', render: (r) => r.actor },
        { label: 'Subject', render: (r) => r.subject || '—' },
        { label: 'Details', render: (r) => h('code', { class: 'details' }, detailsText(r.details)) },
      ], rows, { label: 'Audit records', empty: 'No records match.' }));
    more.hidden = !next;
  };

  const load = async (append) => {
    const q = lastQuery;
    const page = await api.get(practicePath('/audit/records'), {
      from: q.from, to: q.to, action: q.action, actor: q.actor, after: append ? next : '', limit: 200,
    }, { signal });
    const items = (page.items || []).filter((r) => matches(r, q));
    rows = append ? rows.concat(items) : items;
    next = page.next || null;
    draw();
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    showError(error, null);
    busy(search, async () => {
      try {
        lastQuery = query();
        await load(false);
      } catch (e) {
        showError(error, e);
      }
    });
  });
  more.addEventListener('click', () => busy(more, async () => {
    try {
      await load(true);
    } catch (e) {
      showError(error, e);
    }
  }));

  verify.addEventListener('click', () => busy(verify, async () => {
    showError(error, null);
    clear(verifyResult);
    try {
      const v = await api.get(practicePath('/audit/verify'), null, { signal });
      const ok = Boolean(v.ok);
      verifyResult.append(h('p', { class: ok ? 'success' : 'alert', role: ok ? 'status' : 'alert' },
        h('strong', null, ok ? 'Chain OK' : 'Chain BROKEN'), ': ',
        `${formatNumber(v.records)} records checked, ${formatNumber(v.checkpoints_verified)} of ${formatNumber(v.checkpoints)} signed checkpoints verified.`,
        v.first_bad_seq ? ` First bad record: ${v.first_bad_seq}.` : '',
        v.first_bad_checkpoint ? ` First bad checkpoint: ${v.first_bad_checkpoint}.` : ''));
    } catch (e) {
      showError(error, e);
    }
  }));

  exportButton.addEventListener('click', () => busy(exportButton, async () => {
    showError(error, null);
    setStatus(status, '');
    let q;
    try {
      q = query();
    } catch (e) {
      showError(error, e);
      return;
    }
    exporting.wrap.hidden = false;
    try {
      const parts = [];
      let after = '';
      let count = 0;
      for (let pageNo = 0; pageNo < 1000; pageNo += 1) {
        const res = await request('GET', practicePath('/audit/export'), {
          query: { from: q.from, to: q.to, format: 'jsonl', after, limit: 5000 },
          raw: true, headers: { Accept: 'application/x-ndjson' }, signal,
        });
        const text = await res.text();
        parts.push(text);
        count += Number(res.headers.get('X-Record-Count') || 0);
        setStatus(status, `Exported ${formatNumber(count)} records…`);
        after = res.headers.get('X-Next-After') || '';
        if (!after) break;
      }
      const name = `recall-audit-${q.from || 'start'}-to-${q.to || 'now'}.jsonl`;
      download(name, parts.join(''), 'application/x-ndjson');
      setStatus(status, `Exported ${formatNumber(count)} records to ${name} (the date range applies; action and actor do not).`);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      showError(error, e);
    } finally {
      exporting.wrap.hidden = true;
    }
  }));

  if (can('audit.read')) {
    lastQuery = { from: '', to: '', action: '', actor: '' };
    try {
      await load(false);
    } catch (e) {
      if (!(e && e.name === 'AbortError')) showError(error, e);
    }
  }
}
