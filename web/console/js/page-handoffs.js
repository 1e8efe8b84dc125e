// The hand-off inbox: messages a person must read, urgent first. An item's
// page shows the patient's message (reading it is audited), its history, and
// assign / acknowledge / reply / resolve.

import { api, listAll, practicePath, checkId, idempotencyKey, ApiError } from './api.js';
import { h, clear, field, table, facts, alertBox, showError, statusBox, setStatus, busy, formatTime } from './dom.js';
import { state, denied } from './state.js';

const CATEGORY = { urgent: 'Urgent', clinical: 'Clinical question', other: 'Other' };
const STATUS = { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' };

function priorityBadge(item) {
  const c = item.category || 'other';
  return h('span', { class: `badge badge-${c === 'urgent' ? 'block' : c === 'clinical' ? 'warn' : 'neutral'}` },
    CATEGORY[c] || c);
}

function statusText(s) {
  return h('span', { class: `state state-${s}` }, STATUS[s] || s);
}

function who(userId) {
  if (!userId) return 'nobody';
  if (state.me && state.me.user_id === userId) return 'you';
  return userId;
}

function sortQueue(items) {
  const rank = (i) => (i.status === 'resolved' ? 1 : 0);
  return [...items].sort((a, b) => rank(a) - rank(b)
    || (a.priority ?? 9) - (b.priority ?? 9)
    || String(a.created_at).localeCompare(String(b.created_at)));
}

async function renderList(ctx) {
  const { main, signal } = ctx;
  main.append(h('h1', null, 'Hand-offs'),
    h('p', null, 'Patient messages that need a person, urgent first. Opening one shows the message (audited).'));
  if (denied(main, 'handoff.work', 'Working hand-offs')) return;
  const error = alertBox();
  const statusField = field('Show', 'select', {}, [
    { value: '', label: 'All' },
    { value: 'open', label: 'Open' },
    { value: 'acknowledged', label: 'Acknowledged' },
    { value: 'resolved', label: 'Resolved' },
  ]);
  const saved = sessionStorage.getItem('recall.handoffs.status') || '';
  statusField.input.value = saved;
  const body = h('div');
  main.append(h('div', { class: 'toolbar' }, statusField.wrap), error, body);
  let shown = '';
  const load = async () => {
    let items;
    try {
      items = await listAll(practicePath('/handoffs'), { status: statusField.input.value });
      showError(error, null);
    } catch (e) {
      showError(error, e);
      return;
    }
    if (signal.aborted) return;
    // Redrawn only when something changed (keeps keyboard focus in place).
    const key = JSON.stringify(items);
    if (key === shown) return;
    shown = key;
    clear(body);
    const open = items.filter((i) => i.status !== 'resolved').length;
    const urgent = items.filter((i) => i.status === 'open' && i.category === 'urgent').length;
    body.append(h('p', { class: urgent ? 'notice notice-urgent' : 'muted' },
      `${open} waiting${urgent ? `, ${urgent} urgent and not yet acknowledged` : ''}.`));
    body.append(table([
      { label: 'Priority', render: priorityBadge },
      { label: 'Message', render: (i) => h('a', { href: `#/handoffs/${encodeURIComponent(i.handoff_id)}` },
        `${CATEGORY[i.category] || i.category} message, ${formatTime(i.created_at)}`) },
      { label: 'Status', render: (i) => statusText(i.status) },
      { label: 'Assigned to', render: (i) => who(i.assignee) },
      { label: 'Patient', render: (i) => i.patient_id || 'unknown sender' },
      { label: 'Escalated', render: (i) => (i.escalated_at ? formatTime(i.escalated_at) : '—') },
    ], sortQueue(items), { label: 'Hand-off queue', empty: 'No hand-offs. Nothing is waiting.' }));
  };
  statusField.input.addEventListener('change', () => {
    sessionStorage.setItem('recall.handoffs.status', statusField.input.value);
    load();
  });
  await load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, 30000);
  signal.addEventListener('abort', () => clearInterval(timer));
}

async function practiceUsers() {
  // Optional: a server that lists the practice's users fills the assignee list.
  try {
    return await listAll(practicePath('/users'));
  } catch (e) {
    if (e instanceof ApiError && [403, 404, 405].includes(e.status)) return [];
    throw e;
  }
}

async function renderItem(ctx) {
  const { main, signal } = ctx;
  const id = checkId(ctx.params.handoff);
  const base = practicePath(`/handoffs/${encodeURIComponent(id)}`);
  const error = alertBox();
  const status = statusBox();
  const heading = h('h1', null, 'Hand-off');
  const body = h('div');
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/handoffs' }, '‹ Back to the queue')), heading, error, status, body);
  if (denied(main, 'handoff.work', 'Working hand-offs')) return;

  let users = [];
  let replyKey = idempotencyKey();
  let replyText = '';

  const draw = (item) => {
    heading.textContent = `Hand-off: ${CATEGORY[item.category] || item.category}`;
    clear(body);
    body.append(facts([
      ['Priority', priorityBadge(item)],
      ['Status', statusText(item.status)],
      ['Received', formatTime(item.created_at)],
      ['Assigned to', who(item.assignee)],
      ['Patient', item.patient_id
        ? h('a', { href: `#/patients/${encodeURIComponent(item.patient_id)}` }, item.patient_id)
        : 'Unknown sender (no patient with this number; cannot be answered here)'],
      item.acknowledged_at ? ['Acknowledged', formatTime(item.acknowledged_at)] : null,
      item.escalated_at ? ['Escalated to on-call', formatTime(item.escalated_at)] : null,
      item.resolved_at ? ['Resolved', formatTime(item.resolved_at)] : null,
    ]));
    if (item.text !== undefined) {
      body.append(h('section', { 'aria-labelledby': 'msg-h' }, h('h2', { id: 'msg-h' }, 'Message from the patient'),
        h('blockquote', { class: 'patient-message' }, item.text)));
    }

    const act = (button, fn) => busy(button, async () => {
      showError(error, null);
      setStatus(status, '');
      try {
        const message = await fn();
        await reload();
        setStatus(status, message);
      } catch (e) {
        showError(error, e);
      }
    });

    if (item.status !== 'resolved') {
      const actions = h('section', { 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, 'Work this message'));
      const options = [
        { value: '__me', label: 'Me' },
        { value: '__none', label: 'Nobody' },
        ...users.filter((u) => !state.me || u.user_id !== state.me.user_id)
          .map((u) => ({ value: u.user_id, label: u.display_name || u.login || u.user_id })),
      ];
      if (item.assignee && !options.some((o) => o.value === item.assignee)
        && !(state.me && state.me.user_id === item.assignee)) {
        options.push({ value: item.assignee, label: item.assignee });
      }
      const current = !item.assignee ? '__none' : state.me && state.me.user_id === item.assignee ? '__me' : item.assignee;
      options.forEach((o) => { o.selected = o.value === current; });
      const assignField = field('Assign to', 'select', {}, options);
      const assignButton = h('button', { type: 'button' }, 'Assign');
      assignButton.addEventListener('click', () => act(assignButton, async () => {
        const v = assignField.input.value;
        const req = v === '__me' ? {} : { assignee: v === '__none' ? null : v };
        const res = await api.post(`${base}/assign`, req);
        return `Assigned to ${who(res.assignee)}.`;
      }));
      const row = h('div', { class: 'actions' });
      if (item.status === 'open') {
        const ack = h('button', { type: 'button', class: 'button-primary' }, 'Acknowledge');
        ack.addEventListener('click', () => act(ack, async () => {
          await api.post(`${base}/acknowledge`, {});
          return 'Acknowledged: the escalation timer is stopped.';
        }));
        row.append(ack);
      }
      const resolve = h('button', { type: 'button' }, 'Resolve');
      resolve.addEventListener('click', () => act(resolve, async () => {
        await api.post(`${base}/resolve`, {});
        return 'Resolved.';
      }));
      row.append(resolve);
      actions.append(h('div', { class: 'inline-field' }, assignField.wrap, assignButton), row);

      if (item.patient_id && item.channel === 'sms') {
        const replyField = field('Reply', 'textarea', { rows: '3', maxlength: '1600', 'aria-describedby': 'reply-help' });
        replyField.input.value = replyText;
        replyField.input.addEventListener('input', () => {
          replyText = replyField.input.value;
          replyKey = idempotencyKey();  // a new text is a new message
        });
        const send = h('button', { type: 'submit', class: 'button-primary' }, 'Send reply');
        const replyError = alertBox();
        const form = h('form', { class: 'reply', novalidate: true },
          replyField.wrap,
          h('p', { class: 'help', id: 'reply-help' },
            'Sent by text to the number that wrote. Checked by the scanner first: no diagnoses, medications or results in a text.'),
          replyError, send);
        form.addEventListener('submit', (ev) => {
          ev.preventDefault();
          const text = replyField.input.value.trim();
          if (!text) {
            showError(replyError, { message: 'Write the reply first.' });
            return;
          }
          busy(send, async () => {
            showError(replyError, null);
            try {
              await api.post(`${base}/reply`, { text }, { idempotencyKey: replyKey });
              replyText = '';
              replyKey = idempotencyKey();
              await reload();
              setStatus(status, 'Reply sent.');
            } catch (e) {
              showError(replyError, e);
            }
          });
        });
        actions.append(form);
      }
      body.append(actions);
    }

    if (Array.isArray(item.events)) {
      body.append(h('section', { 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'History'),
        table([
          { label: 'When', render: (e) => formatTime(e.at) },
          { label: 'What', render: (e) => e.kind },
          { label: 'By', render: (e) => e.actor },
          { label: 'Reference', render: (e) => e.ref || '—' },
        ], item.events, { label: 'Hand-off history' })));
    }
  };

  // Changes answer with the item without its text: the full item is fetched again.
  const reload = async () => {
    const item = await api.get(base, null, { signal });
    if (!signal.aborted) draw(item);
  };

  try {
    const [item, u] = await Promise.all([api.get(base, null, { signal }), practiceUsers()]);
    users = u;
    if (signal.aborted) return;
    draw(item);
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    showError(error, e);
  }
}

export async function render(ctx) {
  if (ctx.params.handoff) return renderItem(ctx);
  return renderList(ctx);
}
