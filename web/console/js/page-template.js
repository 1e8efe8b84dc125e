// The template editor: edit the text, check it with the scanner (findings
// highlighted in place), save a new version (campaigns using the template
// return to draft and need a new sign-off).

import { api, listAll, practicePath, checkId, idempotencyKey, ApiError } from './api.js';
import { h, append, clear, field, facts, alertBox, showError, statusBox, setStatus, busy } from './dom.js';
import { denied } from './state.js';
import { highlightedNodes, spansFor, findingsList, verdictBadge } from './findings.js';
import { channelName } from './page-campaign.js';

async function loadTemplate(id, signal) {
  try {
    return await api.get(practicePath(`/templates/${encodeURIComponent(id)}`), null, { signal });
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405)) throw e;
    // A server without the single-template route: the list carries the latest versions.
    const all = await listAll(practicePath('/templates'));
    const t = all.find((x) => x.template_id === id || x.name === id);
    if (!t) throw e;
    return t;
  }
}

export async function render(ctx) {
  const { main, signal } = ctx;
  const id = checkId(ctx.params.template);
  const error = alertBox();
  const status = statusBox();
  const heading = h('h1', null, 'Template');
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: '#/campaigns' }, '‹ Back to the list')),
    heading, error);
  if (denied(main, 'template.write', 'Editing templates')) return;
  let tpl;
  try {
    tpl = await loadTemplate(id, signal);
  } catch (e) {
    showError(error, e);
    return;
  }
  if (signal.aborted) return;
  heading.textContent = `Template: ${tpl.name}`;
  const info = h('div');
  const drawInfo = () => {
    clear(info);
    info.append(facts([
      ['Channel', channelName(tpl.channel)],
      ['Language', tpl.language],
      ['Tier', String(tpl.tier)],
      tpl.purpose ? ['Purpose', tpl.purpose] : null,
      ['Version', String(tpl.version)],
    ]));
  };
  drawInfo();

  const isEmail = tpl.channel === 'email';
  const subjectField = isEmail ? field('Subject', 'input', { value: tpl.subject || '', maxlength: '300' }) : null;
  const textField = field('Template text', 'textarea', { rows: '8', spellcheck: 'true', 'aria-describedby': 'tpl-help' });
  textField.input.value = tpl.body || '';
  const checkButton = h('button', { type: 'button' }, 'Check text');
  const saveButton = h('button', { type: 'button', class: 'button-primary' }, 'Save new version');

  const result = h('section', { class: 'check-result', 'aria-labelledby': 'check-h' });
  const stale = h('p', { class: 'muted' });
  const drawResult = (verdict, findings, text, subject) => {
    clear(result);
    append(result, [
      h('h2', { id: 'check-h' }, 'Scanner check ', verdictBadge(verdict)),
      stale,
      isEmail ? h('p', null, h('strong', null, 'Subject: '), h('span', { class: 'preview-subject' },
        highlightedNodes(subject || '', spansFor(findings, 'subject')))) : null,
      h('div', { class: 'message-text preview', 'aria-label': 'Checked text' }, highlightedNodes(text, spansFor(findings))),
      findingsList(findings, { texts: { body: text, subject } })]);
    setStatus(stale, '');
  };

  const markStale = () => {
    if (result.firstChild) setStatus(stale, 'The text has changed since it was checked.');
  };
  textField.input.addEventListener('input', markStale);
  if (subjectField) subjectField.input.addEventListener('input', markStale);

  checkButton.addEventListener('click', () => busy(checkButton, async () => {
    showError(error, null);
    setStatus(status, '');
    const text = textField.input.value;
    const subject = subjectField ? subjectField.input.value : '';
    try {
      const body = { text, channel: tpl.channel, tier: Number(tpl.tier) };
      if (isEmail) body.subject = subject;
      const res = await api.post(practicePath('/lint'), body);
      drawResult(res.verdict, res.findings || [], text, subject);
    } catch (e) {
      showError(error, e);
    }
  }));

  saveButton.addEventListener('click', () => busy([saveButton, checkButton], async () => {
    showError(error, null);
    setStatus(status, '');
    const text = textField.input.value;
    const subject = subjectField ? subjectField.input.value : undefined;
    try {
      const body = { body: text };
      if (isEmail) body.subject = subject;
      const res = await api.post(practicePath(`/templates/${encodeURIComponent(tpl.template_id)}/versions`), body,
        { idempotencyKey: idempotencyKey() });
      tpl = { ...tpl, ...res, body: res.body ?? text, subject: res.subject ?? subject };
      drawInfo();
      const reverted = res.reverted_campaigns || [];
      setStatus(status, `Saved version ${tpl.version}.${reverted.length
        ? ` ${reverted.length} campaign(s) using it returned to draft and need a new approval.`
        : ' Campaigns using it return to draft and need a new approval.'}`);
      drawResult(res.findings && res.findings.length ? (res.findings.some((f) => f.severity === 'block') ? 'block' : 'warn') : 'ok',
        res.findings || [], text, subject);
    } catch (e) {
      showError(error, e);
      const findings = e.body && Array.isArray(e.body.findings) ? e.body.findings : null;
      if (findings) drawResult('block', findings, text, subject);
    }
  }));

  main.append(info,
    h('form', { class: 'editor', novalidate: true, onsubmit: (ev) => ev.preventDefault() },
      subjectField ? subjectField.wrap : null,
      textField.wrap,
      h('p', { class: 'help', id: 'tpl-help' },
        'Write for whoever holds the phone: no diagnoses, treatments, medications or test results. ',
        'Variables such as {{first_name}}, {{practice_name}} and {{practice_phone}} are filled in per patient.'),
      h('div', { class: 'actions' }, checkButton, saveButton)),
    status, result);
}
