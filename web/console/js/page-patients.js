// Consent lookup: a patient's current consent per channel and purpose, the
// evidence history, and recording a verbal opt-out.

import { api, practicePath, ApiError, idempotencyKey } from './api.js';
import { h, field, table, facts, alertBox, showError, statusBox, setStatus, busy, formatTime } from './dom.js';
import { can, denied } from './state.js';
import { channelName } from './page-campaign.js';

const ID_RE = /^[A-Za-z0-9._~-]{1,128}$/;
const CHANNELS = ['sms', 'email', 'voice', 'rvm'];

function lookupForm(ctx, value) {
  const idField = field('Patient ID', 'input', { value: value || '', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'e.g. SYN0000001', 'aria-describedby': 'pid-help' });
  const error = alertBox();
  const form = h('form', { class: 'lookup', role: 'search', novalidate: true },
    idField.wrap,
    h('p', { class: 'help', id: 'pid-help' }, 'The practice\'s own patient id (from its system), or a Recall id (pat_…).'),
    error,
    h('button', { type: 'submit', class: 'button-primary' }, 'Look up'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = idField.input.value.trim();
    if (!ID_RE.test(id)) {
      showError(error, { message: 'A patient id is letters, digits, ".", "_", "-" or "~".' });
      return;
    }
    ctx.navigate(`#/patients/${encodeURIComponent(id)}`);
  });
  return { form, input: idField.input };
}

// The consent cells as rows, from either shape the server may answer with:
// {"cells":[{channel,purpose,state,effective}]} or {"channels":{sms:{care:"granted"}}}.
function consentRows(view) {
  if (Array.isArray(view.cells)) return view.cells;
  const rows = [];
  for (const [channel, purposes] of Object.entries(view.channels || {})) {
    for (const [purpose, st] of Object.entries(purposes || {})) rows.push({ channel, purpose, state: st, effective: '' });
  }
  return rows;
}

function stateText(row) {
  const st = row.state || 'none';
  const eff = row.effective || '';
  if (eff === 'allowed') return h('span', { class: 'state state-granted' }, 'may contact');
  if (st === 'revoked' || eff === 'revoked') return h('span', { class: 'state state-revoked' }, 'opted out');
  if (st === 'granted') return h('span', { class: 'state state-warn' }, `granted, not valid now (${eff.replaceAll('_', ' ')})`);
  return h('span', { class: 'state state-none' }, 'no consent');
}

export async function render(ctx) {
  const { main, signal } = ctx;
  const patient = ctx.params.patient || '';
  main.append(h('h1', null, patient ? `Consent: ${patient}` : 'Consent lookup'));
  if (denied(main, 'consent.read', 'Looking up consent')) return;
  const { form, input } = lookupForm(ctx, patient);
  main.append(form);
  if (!patient) {
    input.focus();
    return;
  }
  if (!ID_RE.test(patient)) {
    const e = alertBox();
    showError(e, { message: 'That patient id is not valid.' });
    main.append(e);
    return;
  }
  const pid = encodeURIComponent(patient);
  const error = alertBox();
  const status = statusBox();
  const body = h('div');
  main.append(error, status, body);

  const draw = async () => {
    let who = null;
    let view = null;
    try {
      [who, view] = await Promise.all([
        api.get(practicePath(`/patients/${pid}`), null, { signal }).catch((e) => {
          if (e instanceof ApiError && e.status === 403) return null;  // consent readers without patient reads
          throw e;
        }),
        api.get(practicePath(`/patients/${pid}/consent`), null, { signal }),
      ]);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      showError(error, e.status === 404 ? { ...e, message: `No patient ${patient} in this practice.` } : e);
      return;
    }
    if (signal.aborted) return;
    body.replaceChildren();
    if (who) {
      body.append(h('section', { 'aria-labelledby': 'pt-h' }, h('h2', { id: 'pt-h' }, 'Patient (masked)'), facts([
        ['Recall id', who.patient_id],
        who.external_id ? ['Practice id', who.external_id] : null,
        ['Name', `${who.first_name || ''} ${who.last_name || ''}`.trim() || '—'],
        ['Phone', who.phone || '—'],
        ['Email', who.email || '—'],
        ['Language', who.language || '—'],
        ['Status', who.status || '—'],
      ])));
    }
    body.append(h('section', { 'aria-labelledby': 'cc-h' }, h('h2', { id: 'cc-h' }, 'Current consent'),
      table([
        { label: 'Channel', render: (r) => channelName(r.channel) },
        { label: 'Purpose', render: (r) => (r.purpose === 'care' ? 'Care (reminders, recalls)' : r.purpose === 'outreach' ? 'Outreach (marketing)' : r.purpose) },
        { label: 'State', render: stateText },
      ], consentRows(view), { label: 'Current consent' })));
    const history = Array.isArray(view.history) ? view.history : null;
    body.append(h('section', { 'aria-labelledby': 'ev-h' }, h('h2', { id: 'ev-h' }, 'Evidence history'),
      history === null
        ? h('p', { class: 'muted' }, 'This server does not return the evidence history yet.')
        : table([
          { label: 'When', render: (r) => formatTime(r.captured_at) },
          { label: 'Change', render: (r) => h('span', { class: `state state-${r.kind === 'revoke' || r.kind === 'revoked' ? 'revoked' : 'granted'}` }, r.kind) },
          { label: 'Channel', render: (r) => (r.channel ? channelName(r.channel) : 'all') },
          { label: 'Purpose', render: (r) => r.purpose || 'all' },
          { label: 'Source', render: (r) => String(r.source || '').replaceAll('_', ' ') },
          { label: 'Recorded by', render: (r) => r.captured_by || '—' },
          { label: 'Contact', render: (r) => r.contact || r.contact_masked || '—' },
          { label: 'Wording', render: (r) => r.language_version || '—' },
        ], [...history].sort((a, b) => String(b.captured_at).localeCompare(String(a.captured_at))),
        { label: 'Evidence history', empty: 'No consent has been recorded for this patient.' })));
  };
  await draw();
  if (signal.aborted) return;

  if (can('consent.write')) {
    const channelField = field('Channel', 'select', {}, [
      { value: '', label: 'All channels (a full opt-out)' },
      ...CHANNELS.map((c) => ({ value: c, label: channelName(c) })),
    ]);
    const noteField = field('Note', 'textarea', { rows: '3', required: true, maxlength: '2000',
      'aria-describedby': 'note-help' });
    const submit = h('button', { type: 'submit', class: 'button-danger' }, 'Record opt-out');
    const formError = alertBox();
    let key = idempotencyKey();
    noteField.input.addEventListener('input', () => { key = idempotencyKey(); });
    const optOut = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'oo-h' },
      h('h2', { id: 'oo-h' }, 'Record verbal opt-out'),
      h('p', null, 'When a patient asks in person or by phone to stop being contacted. It takes effect at once.'),
      channelField.wrap, noteField.wrap,
      h('p', { class: 'help', id: 'note-help' }, 'How and when the patient asked (e.g. "asked at the front desk to stop texts"). Stored encrypted.'),
      formError, submit);
    optOut.addEventListener('submit', (ev) => {
      ev.preventDefault();
      showError(formError, null);
      const note = noteField.input.value.trim();
      if (!note) {
        showError(formError, { message: 'Write a note saying how the patient asked.' });
        return;
      }
      busy(submit, async () => {
        try {
          const req = { source: 'staff_verbal', evidence: note };
          if (channelField.input.value) req.channel = channelField.input.value;
          await api.post(practicePath(`/patients/${pid}/consent/revoke`), req, { idempotencyKey: key });
          key = idempotencyKey();
          noteField.input.value = '';
          await draw();
          setStatus(status, `Opt-out recorded${req.channel ? ` for ${channelName(req.channel)}` : ' for every channel'}.`);
        } catch (e) {
          showError(formError, e);
        }
      });
    });
    main.append(optOut);
  }
}
