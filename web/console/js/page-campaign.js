// One campaign: audience, sequence (steps with channel mix and skip reasons),
// the report (chart + table), and the actions the user's role allows.

import { api, practicePath, checkId, idempotencyKey, ApiError } from './api.js';
import { h, clear, table, facts, alertBox, showError, statusBox, setStatus, progressBar, busy,
  formatNumber, formatTime, countsText } from './dom.js';
import { can, denied } from './state.js';
import { reportChart, bucketLabel, METRICS } from './chart.js';
import { findingsList } from './findings.js';
import { stateBadge } from './page-campaigns.js';

const CHANNEL_NAMES = { sms: 'SMS', email: 'Email', voice: 'Voice call', rvm: 'Ringless voicemail',
  call_list: 'Staff call list', portal: 'Portal' };
export const channelName = (c) => CHANNEL_NAMES[c] || c;

export function segmentText(segment) {
  if (!segment || typeof segment !== 'object' || !Object.keys(segment).length) return 'Every patient';
  const list = (v) => (Array.isArray(v) ? v.join(' or ') : String(v));
  const parts = [];
  if (segment.status) parts.push(`status ${list(segment.status)}`);
  if (segment.language) parts.push(`language ${list(segment.language)}`);
  if (segment.provider) parts.push(`provider ${list(segment.provider)}`);
  if (segment.last_visit_before) parts.push(`last visit before ${segment.last_visit_before}`);
  if (segment.last_visit_after) parts.push(`last visit after ${segment.last_visit_after}`);
  if (segment.has_channel) parts.push(`reachable by ${list(segment.has_channel)}`);
  const known = ['status', 'language', 'provider', 'last_visit_before', 'last_visit_after', 'has_channel'];
  for (const [k, v] of Object.entries(segment)) if (!known.includes(k)) parts.push(`${k} ${list(v)}`);
  return `Patients with ${parts.join('; ')}`;
}

function delayText(step, index) {
  const hours = Number(step.delay_hours) || 0;
  const when = hours === 0 ? 'no delay'
    : hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hour${hours === 1 ? '' : 's'}`;
  if (index === 0) return hours === 0 ? 'At the start' : `${when} after the start`;
  return hours === 0 ? `With step ${index}` : `${when} after step ${index}`;
}

function conditionText(c) {
  if (c === 'no_response') return 'Only patients who have not responded';
  return 'Every patient of the step';
}

// Totals of the report in the chart's keys.
export function reportTotals(r) {
  return { sent: r.sent, delivered: r.delivered, replies: r.replies, opt_outs: r.opt_outs,
    reactivations: r.reactivations ?? r.reactivated };
}

export function reportTable(report) {
  const series = Array.isArray(report.series) ? report.series : [];
  const totals = reportTotals(report);
  const hourly = report.bucket === 'hour';
  const rows = [...series.map((d) => ({ ...d, label: bucketLabel(d, hourly ? 'hour' : 'day') })),
    { label: 'Total', ...totals, total: true }];
  return table([
    { label: hourly ? 'Hour' : 'Day', render: (r) => (r.total ? h('strong', null, r.label) : r.label) },
    ...METRICS.map((m) => ({ label: m.label, class: 'num', render: (r) => formatNumber(r[m.key] ?? 0) })),
  ], rows, { label: 'Report numbers' });
}

// A message carried over the page's reload after an action.
let flash = null;

export async function render(ctx) {
  const { main, signal } = ctx;
  const id = checkId(ctx.params.campaign);
  const base = practicePath(`/campaigns/${encodeURIComponent(id)}`);
  const error = alertBox();
  const status = statusBox();
  const heading = h('h1', null, 'Campaign');
  const content = h('div');
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/campaigns' }, '‹ Back to the list')), heading, error, status, content);
  if (denied(main, 'campaign.read', 'Seeing campaigns')) return;

  let campaign;
  try {
    campaign = await api.get(base, null, { signal });
  } catch (e) {
    showError(error, e);
    return;
  }
  if (signal.aborted) return;
  heading.textContent = campaign.name;

  // --- summary and actions ----------------------------------------------------
  const actions = h('div', { class: 'actions' });
  const started = progressBar('Starting campaign (planning the first step)');
  const warnings = h('div');
  content.append(
    facts([
      ['State', stateBadge(campaign.state)],
      ['Kind', campaign.kind],
      ['Purpose', campaign.purpose],
      ['Starts', (campaign.schedule && campaign.schedule.start) || campaign.schedule_start || 'not set'],
      ['Send window', (campaign.schedule && campaign.schedule.window) || campaign.window || 'the practice\'s'],
      ['Author', campaign.author],
      campaign.approved_hash ? ['Approved content', h('code', { class: 'hash' }, campaign.approved_hash)] : null,
    ]),
    actions, started.wrap, warnings);

  if (flash && flash.id === id) {
    setStatus(status, flash.text);
    if (flash.warnings && flash.warnings.length) {
      warnings.append(h('h2', null, 'Warnings for the approver'), findingsList(flash.warnings));
    }
  }
  flash = null;
  const reload = (text, extra = {}) => {
    flash = { id, text, ...extra };
    ctx.navigate(location.hash);
  };
  const act = async (button, fn) => {
    showError(error, null);
    setStatus(status, '');
    await busy(button, async () => {
      try {
        await fn();
      } catch (e) {
        showError(error, e);
      }
    });
  };

  if (campaign.state === 'draft' && can('campaign.draft')) {
    const b = h('button', { type: 'button', class: 'button-primary' }, 'Submit for approval');
    b.addEventListener('click', () => act(b, async () => {
      const res = await api.post(`${base}/submit`, {}, { idempotencyKey: idempotencyKey() });
      reload('Submitted for approval.', { warnings: res.warnings });
    }));
    actions.append(b);
  }
  if (campaign.state === 'submitted' && can('campaign.approve')) {
    actions.append(h('a', { class: 'button button-primary', href: `#/campaigns/${encodeURIComponent(id)}/approve` },
      'Review and approve'));
  } else if (campaign.state === 'submitted') {
    actions.append(h('p', { class: 'muted' }, 'Waiting for the practice\'s approver to sign off.'));
  }
  if (campaign.state === 'approved' && can('campaign.run')) {
    const b = h('button', { type: 'button', class: 'button-primary' }, 'Start campaign');
    b.addEventListener('click', () => act(b, async () => {
      started.wrap.hidden = false;
      try {
        await api.post(`${base}/start`, {}, { idempotencyKey: idempotencyKey() });
      } finally {
        started.wrap.hidden = true;
      }
      reload('Campaign started: the worker sends as the window, consent and caps allow.');
    }));
    actions.append(b);
  }
  if (['running', 'scheduled'].includes(campaign.state) && can('campaign.run')) {
    const b = h('button', { type: 'button' }, 'Pause');
    b.addEventListener('click', () => act(b, async () => {
      await api.post(`${base}/pause`, {});
      reload('Paused: nothing more is sent until it is resumed.');
    }));
    actions.append(b);
  }
  if (campaign.state === 'paused' && can('campaign.run')) {
    const b = h('button', { type: 'button', class: 'button-primary' }, 'Resume');
    b.addEventListener('click', () => act(b, async () => {
      await api.post(`${base}/resume`, {});
      reload('Resumed.');
    }));
    actions.append(b);
  }

  // --- audience ---------------------------------------------------------------
  const audience = h('section', { 'aria-labelledby': 'audience-h' }, h('h2', { id: 'audience-h' }, 'Audience'));
  const audienceFacts = h('div');
  const audienceError = alertBox();
  audience.append(h('p', null, segmentText(campaign.segment)), audienceFacts, audienceError);
  content.append(audience);

  // --- sequence ---------------------------------------------------------------
  const sequence = h('section', { 'aria-labelledby': 'sequence-h' }, h('h2', { id: 'sequence-h' }, 'Sequence'));
  const sequenceBody = h('div');
  sequence.append(sequenceBody);
  content.append(sequence);

  // --- report -----------------------------------------------------------------
  const reportSection = h('section', { 'aria-labelledby': 'report-h' }, h('h2', { id: 'report-h' }, 'Report'));
  const reportError = alertBox();
  const reportBody = h('div');
  const refresh = h('button', { type: 'button', class: 'button-quiet' }, 'Refresh report');
  reportSection.append(reportError, reportBody, refresh);
  content.append(reportSection);

  let report = null;
  const steps = Array.isArray(campaign.steps) ? campaign.steps : null;

  const drawSequence = () => {
    clear(sequenceBody);
    const reportSteps = report && Array.isArray(report.steps) ? report.steps : [];
    const count = steps ? steps.length : reportSteps.length;
    if (!steps && !reportSteps.length) {
      sequenceBody.append(h('p', { class: 'muted' },
        `${campaign.steps ?? 0} step(s). The step details are not available from this server.`));
      return;
    }
    const rows = [];
    for (let i = 0; i < count; i += 1) rows.push({ i, s: steps ? steps[i] : null, r: reportSteps.find((x) => x.step === i + 1) });
    sequenceBody.append(table([
      { label: 'Step', class: 'num', render: (x) => String(x.i + 1) },
      { label: 'Channel', render: (x) => {
        const ch = x.s ? x.s.channel : x.r && x.r.channel;
        const fb = x.s && x.s.fallback && x.s.fallback.length ? `, else ${x.s.fallback.map(channelName).join(', then ')}` : '';
        return `${channelName(ch)}${fb}`;
      } },
      { label: 'When', render: (x) => (x.s ? delayText(x.s, x.i) : '—') },
      { label: 'Who', render: (x) => (x.s ? conditionText(x.s.condition) : '—') },
      { label: 'Templates', render: (x) => {
        const variants = (x.s && x.s.variants) || [];
        if (!variants.length) return '—';
        return h('ul', { class: 'plain' }, variants.map((v) => h('li', null,
          can('template.write')
            ? h('a', { href: `#/templates/${encodeURIComponent(v.template_id)}` }, `${channelName(v.channel)} · ${v.language}`)
            : `${channelName(v.channel)} · ${v.language}`,
          v.template_version ? ` (v${v.template_version})` : '')));
      } },
      { label: 'Due', render: (x) => (x.r && x.r.due_at ? formatTime(x.r.due_at) : 'not yet') },
      { label: 'Planned', class: 'num', render: (x) => (x.r && x.r.planned ? formatNumber(x.r.messages) : '—') },
      { label: 'Channel mix', render: (x) => (x.r ? countsText({ ...x.r.channels, call_list: x.r.call_list }) : '—') },
      { label: 'Skipped', render: (x) => (x.r ? countsText(x.r.skipped) : '—') },
    ], rows, { label: 'Sequence steps' }));
  };

  let matched;
  const drawAudience = () => {
    clear(audienceFacts);
    audienceFacts.append(facts([
      matched !== undefined ? ['Patients matching the segment now', formatNumber(matched)] : null,
      report && report.targeted ? ['Patients targeted when started', formatNumber(report.targeted)] : null,
      report && report.planned ? ['Messages planned', formatNumber(report.planned)] : null,
      report && report.call_list ? ['On the staff call list', formatNumber(report.call_list)] : null,
      report && Object.keys(report.skipped || {}).length ? ['Skipped', countsText(report.skipped)] : null,
    ]));
  };

  const drawReport = () => {
    clear(reportBody);
    if (!report) return;
    const totals = reportTotals(report);
    reportBody.append(
      reportChart(totals, report.series, report.bucket || 'day'),
      reportTable(report),
      h('h3', null, 'Delivery'),
      facts([
        ['Queued', formatNumber(report.queued)],
        ['Sending', formatNumber(report.in_flight)],
        ['Deferred (quiet hours, caps)', formatNumber(report.deferred)],
        ['Failed', `${formatNumber(report.failed)}${report.failed ? ` (${countsText(report.failed_by_reason)})` : ''}`],
        ['Cancelled', `${formatNumber(report.cancelled)}${report.cancelled ? ` (${countsText(report.cancelled_by_reason)})` : ''}`],
        ['Undeliverable', formatNumber(report.undeliverable)],
        ['Confirmations', formatNumber(report.confirmations)],
        ['Unsubscribes', formatNumber(report.unsubscribes)],
        ['Hand-offs opened', formatNumber(report.handoffs)],
        ['Estimated revenue from reactivations', report.roi_estimate !== undefined ? `$${Number(report.roi_estimate).toLocaleString()}` : '—'],
      ]));
  };

  let shown = null;
  const loadReport = async () => {
    try {
      report = await api.get(`${base}/report`, null, { signal });
      showError(reportError, null);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      showError(reportError, e);
    }
    if (signal.aborted) return;
    // Redrawn only when the numbers changed (keeps keyboard focus in place).
    const key = JSON.stringify(report);
    if (key === shown) return;
    shown = key;
    drawReport();
    drawSequence();
    drawAudience();
  };
  refresh.addEventListener('click', () => busy(refresh, loadReport));

  await loadReport();
  if (signal.aborted) return;

  // The segment size now: the campaign's own count when the server gives it,
  // else a one-recipient preview (it reports "matched"; audited as a preview).
  matched = campaign.matched;
  if (matched === undefined && can('campaign.read') && !['completed'].includes(campaign.state)) {
    try {
      const p = await api.post(`${base}/preview`, { sample: 1 }, { signal });
      matched = p.matched;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403) showError(audienceError, e);
    }
  }
  if (signal.aborted) return;
  drawAudience();

  // While messages are queued or being sent, the report follows them (every
  // read is audited as campaign.report, so polling stops once the queue is
  // empty, at the earliest after a minute, and after 30 minutes at most;
  // "Refresh report" reads it again).
  if (['running', 'scheduled'].includes(campaign.state)) {
    const opened = Date.now();
    const until = opened + 30 * 60 * 1000;
    const busyQueue = () => report && (Number(report.queued) || 0) + (Number(report.in_flight) || 0) > 0;
    const timer = setInterval(() => {
      if (Date.now() > until || (Date.now() > opened + 60 * 1000 && !busyQueue())) {
        clearInterval(timer);
        return;
      }
      if (!document.hidden) loadReport();
    }, 5000);
    signal.addEventListener('abort', () => clearInterval(timer));
  }
}
