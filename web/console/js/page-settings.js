// Practice settings: the BAA, vendors and their BAAs, the send window and
// frequency caps, consent wording versions, the after-hours reply.

import { api, listAll, practicePath, ApiError } from './api.js';
import { h, field, table, facts, alertBox, showError, statusBox, setStatus, busy, formatTime } from './dom.js';
import { can } from './state.js';
import { channelName } from './page-campaign.js';

// Sections are plain (not named regions): their headings would otherwise
// share words with the labels of the fields inside them.
function section(id, title, ...children) {
  return h('section', null, h('h2', { id }, title), ...children);
}

export async function render(ctx) {
  const { main, signal } = ctx;
  main.append(h('h1', null, 'Settings'));
  const error = alertBox();
  main.append(error);
  let practice;
  let settings;
  let vendors = [];
  try {
    [practice, settings, vendors] = await Promise.all([
      api.get(practicePath(''), null, { signal }),
      api.get(practicePath('/settings'), null, { signal }),
      listAll(practicePath('/vendors')),
    ]);
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    showError(error, e);
    return;
  }
  if (signal.aborted) return;
  const admin = can('practice.admin');

  main.append(section('practice-h', 'Practice', facts([
    ['Name', practice.name],
    ['Address', practice.address],
    ['Phone', practice.phone],
    ['Email sender', practice.email_from],
    ['Time zone', practice.timezone],
    ['State', practice.state],
  ])));

  const baa = practice.baa;
  main.append(section('baa-h', 'Business Associate Agreement', baa
    ? facts([
      ['Status', h('span', { class: 'state state-granted' }, 'On file')],
      ['Signed by', baa.signed_by],
      ['Signed on', baa.signed_on],
      ['Breach notice', `${baa.breach_notice_hours} hours`],
      ['Document SHA-256', h('code', { class: 'hash' }, baa.document_sha256)],
    ])
    : h('p', { class: 'alert', role: 'alert' }, 'No BAA is recorded: patient data cannot be imported or sent until it is.')));

  main.append(section('vendors-h', 'Vendors',
    h('p', null, 'Every vendor that carries patient data needs its own BAA; a channel without one sends nothing.'),
    table([
      { label: 'Name', render: (v) => v.name },
      { label: 'Channel', render: (v) => channelName(v.channel) },
      { label: 'Kind', render: (v) => v.kind || '—' },
      { label: 'BAA signed', render: (v) => (v.baa_signed_on
        ? v.baa_signed_on : h('span', { class: 'state state-revoked' }, 'no BAA')) },
      { label: 'Active', render: (v) => (v.active ? 'yes' : 'no') },
    ], vendors, { label: 'Vendors', empty: 'No vendors yet.' })));

  // --- send window and caps ---------------------------------------------------------
  const windowStatus = statusBox();
  const windowError = alertBox();
  const dispatch = section('window-h', 'Send window and caps',
    facts([
      ['Send window (practice time)', settings.send_window || '—'],
      ['Messages per patient per day', String(settings.cap_per_day ?? '—')],
      ['Messages per patient per week', String(settings.cap_per_week ?? '—')],
      ['Attempts per message', String(settings.max_attempts ?? '—')],
      ['Office hours', settings.office_hours_schedule || settings.office_hours || 'not set'],
      ['Urgent hand-off acknowledgement', settings.handoff_ack_minutes ? `${settings.handoff_ack_minutes} minutes` : '—'],
      ['On-call contact', settings.oncall && settings.oncall.channel
        ? `${channelName(settings.oncall.channel)} (set)` : 'not set'],
      ['Language policy', settings.language_policy ? `${settings.language_policy} (default ${settings.default_language})` : '—'],
    ]));
  if (admin) {
    const w = field('Send window', 'input', { value: settings.send_window || '', pattern: '\\d{2}:\\d{2}-\\d{2}:\\d{2}',
      placeholder: '08:00-20:00', 'aria-describedby': 'window-help' });
    const day = field('Daily cap', 'input', { type: 'number', min: '0', max: '10', value: settings.cap_per_day ?? '' });
    const week = field('Weekly cap', 'input', { type: 'number', min: '0', max: '50', value: settings.cap_per_week ?? '' });
    const save = h('button', { type: 'submit' }, 'Save send window and caps');
    const form = h('form', { class: 'card', novalidate: true },
      h('h3', null, 'Change'), h('div', { class: 'grid-3' }, w.wrap, day.wrap, week.wrap),
      h('p', { class: 'help', id: 'window-help' }, 'HH:MM-HH:MM, within 08:00-21:00 (TCPA calling hours), in each patient\'s time zone.'),
      windowError, windowStatus, save);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(save, async () => {
        showError(windowError, null);
        setStatus(windowStatus, '');
        try {
          await api.put(practicePath('/settings'), {
            send_window: w.input.value.trim(),
            cap_per_day: Number(day.input.value),
            cap_per_week: Number(week.input.value),
          });
          ctx.navigate(location.hash);
        } catch (e) {
          showError(windowError, e);
        }
      });
    });
    dispatch.append(form);
  }
  main.append(dispatch);

  // --- consent wording versions -------------------------------------------------------
  const wording = section('wording-h', 'Consent wording versions',
    h('p', null, 'The exact words patients agreed to, by version. A consent record names the version it was given under.'));
  main.append(wording);
  try {
    const items = await listAll(practicePath('/consent/wording'));
    wording.append(table([
      { label: 'Channel', render: (r) => channelName(r.channel) },
      { label: 'Version', render: (r) => h('code', null, r.version || r.version_id || '—') },
      { label: 'Wording', render: (r) => h('span', { class: 'wording' }, r.text || '') },
      { label: 'Added', render: (r) => formatTime(r.created_at) },
      { label: 'Current', render: (r) => (r.current === undefined ? '—' : r.current ? 'yes' : 'no') },
    ], items, { label: 'Consent wording versions', empty: 'No consent wording recorded yet.' }));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
      wording.append(h('p', { class: 'muted' }, 'This server does not list consent wording yet (recall consent language show).'));
    } else if (!(e && e.name === 'AbortError')) {
      const box = alertBox();
      showError(box, e);
      wording.append(box);
    }
  }
  if (signal.aborted) return;

  // --- after-hours reply ---------------------------------------------------------------
  const replyError = alertBox();
  const replyStatus = statusBox();
  const replyField = field('After-hours reply', 'textarea', { rows: '3', maxlength: '320', 'aria-describedby': 'ah-help' });
  replyField.input.value = settings.after_hours_reply || '';
  const counter = h('span', { class: 'muted' });
  const count = () => { counter.textContent = `${new TextEncoder().encode(replyField.input.value).length} / 320 bytes`; };
  replyField.input.addEventListener('input', count);
  count();
  const saveReply = h('button', { type: 'submit', class: 'button-primary' }, 'Save after-hours reply');
  const replyForm = h('form', { novalidate: true },
    replyField.wrap,
    h('p', { class: 'help', id: 'ah-help' },
      'Sent automatically when a patient writes outside office hours and a person must read the message. ',
      'Plain words (no {{variables}}), at most 320 bytes, and nothing the scanner flags. Leave empty for no reply. ', counter),
    admin ? null : h('p', { class: 'muted' }, 'Only a practice administrator can change it; the server refuses anyone else.'),
    replyError, replyStatus, saveReply);
  replyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(saveReply, async () => {
      showError(replyError, null);
      setStatus(replyStatus, '');
      try {
        await api.put(practicePath('/handoffs/after-hours-reply'), { text: replyField.input.value.trim() });
        setStatus(replyStatus, replyField.input.value.trim() ? 'After-hours reply saved.' : 'After-hours reply cleared.');
      } catch (e) {
        showError(replyError, e);
      }
    });
  });
  main.append(section('ah-h', 'Reply outside office hours',
    h('p', null, 'Office hours: ', settings.office_hours_schedule || 'not set (no after-hours reply is sent without a schedule)'),
    replyForm));
}
