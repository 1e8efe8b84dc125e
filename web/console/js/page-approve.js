// The approval page: every template variant (step x channel x language)
// rendered for a sample of real recipients (masked), the scanner's findings
// highlighted, SMS segment counts, the email as it will look, the voice and
// voicemail scripts as audio, and the written sign-off.

import { api, blobUrl, practicePath, checkId, idempotencyKey } from './api.js';
import { h, append, clear, field, facts, alertBox, showError, statusBox, setStatus, busy, progressBar,
  formatNumber } from './dom.js';
import { can, state, denied } from './state.js';
import { highlightedText, highlightedNodes, spansFor, findingsList, verdictBadge } from './findings.js';
import { renderEmailHtml } from './email.js';
import { channelName, segmentText } from './page-campaign.js';

const SAMPLE = 3;

function groupVariants(messages) {
  const groups = new Map();
  for (const m of messages) {
    const key = `${m.step}|${m.channel}|${m.language}`;
    if (!groups.has(key)) groups.set(key, { step: m.step, channel: m.channel, language: m.language, messages: [] });
    groups.get(key).messages.push(m);
  }
  // By step; within a step, in the server's order (the step's channel, then its fallbacks).
  return [...groups.values()].sort((a, b) => a.step - b.step);
}

function worst(messages) {
  if (messages.some((m) => m.verdict === 'block')) return 'block';
  if (messages.some((m) => m.verdict === 'warn')) return 'warn';
  return 'ok';
}

function segmentsOf(m) {
  if (m.segments && typeof m.segments === 'object') return { count: m.segments.count, encoding: m.segments.encoding };
  if (m.sms_segments !== undefined) return { count: m.sms_segments, encoding: m.sms_encoding };
  return null;
}

function smsSample(m) {
  const seg = segmentsOf(m);
  return [
    highlightedText(m.body, m.findings, { class: 'message-text sms-bubble' }),
    seg ? h('p', { class: 'segment-info' }, h('span', { class: 'segments' }, `${seg.count} segment(s)`),
      seg.encoding ? ` · ${seg.encoding}${seg.encoding === 'UCS-2' ? ' (a special character makes each segment shorter)' : ''}` : '')
      : h('p', { class: 'segment-info muted' }, 'Segment count not available.'),
  ];
}

// The email as the patient's mail program shows it: From, Subject, the body,
// and the footer the sender adds (the practice's postal address, CAN-SPAM)
// unless the body already carries it.
function emailSample(m, sender) {
  const from = m.from || sender.email_from || '—';
  const subjectSpans = spansFor(m.findings, 'subject');
  const address = m.footer || sender.address || '';
  const hasAddress = address && String(m.body || '').includes(address);
  return h('div', { class: 'email-frame' },
    h('dl', { class: 'email-head' },
      h('dt', null, 'From'), h('dd', null, from),
      h('dt', null, 'Subject'), h('dd', null, highlightedNodes(m.subject || '', subjectSpans))),
    renderEmailHtml(m.body, m.findings),
    h('div', { class: 'email-footer' },
      address && !hasAddress ? address : null,
      address && !hasAddress ? h('br') : null,
      h('span', { class: 'muted' }, 'Every email also carries a one-click unsubscribe (List-Unsubscribe header).')));
}

function voiceSample(m) {
  return [h('p', { class: 'muted' }, 'Script (spoken):'), highlightedText(m.body, m.findings, { class: 'message-text script' })];
}

export async function render(ctx) {
  const { main, signal } = ctx;
  const id = checkId(ctx.params.campaign);
  const base = practicePath(`/campaigns/${encodeURIComponent(id)}`);
  const error = alertBox();
  const heading = h('h1', null, 'Review and approve');
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: `#/campaigns/${encodeURIComponent(id)}` }, '‹ Back to the campaign')), heading, error);
  if (denied(main, 'campaign.read', 'Reviewing campaigns')) return;

  const loading = progressBar('Rendering the messages for a sample of patients');
  loading.wrap.hidden = false;
  main.append(loading.wrap);
  let campaign;
  let preview;
  try {
    [campaign, preview] = await Promise.all([
      api.get(base, null, { signal }),
      api.post(`${base}/preview`, { sample: SAMPLE, every_variant: true }, { signal }),
    ]);
  } catch (e) {
    loading.wrap.hidden = true;
    showError(error, e);
    return;
  } finally {
    loading.wrap.hidden = true;
  }
  if (signal.aborted) return;
  heading.textContent = `Review and approve: ${campaign.name}`;
  const blobs = [];
  signal.addEventListener('abort', () => blobs.forEach((u) => URL.revokeObjectURL(u)));

  const messages = preview.messages || [];
  const practice = state.practice || {};
  const sender = { email_from: practice.email_from, address: practice.address, ...(preview.sender || {}) };
  const variants = groupVariants(messages);
  main.append(
    h('p', null, 'Read every message below as the patient will receive it. Names are masked here; ',
      'the messages go out with the patient\'s own first name.'),
    facts([
      ['State', campaign.state],
      ['Audience', segmentText(campaign.segment)],
      ['Patients matching now', formatNumber(preview.matched)],
      ['Variants', String(variants.length)],
      ['Scanner verdict', verdictBadge(preview.verdict)],
      ['Content fingerprint (SHA-256)', h('code', { class: 'hash' }, preview.content_sha256 || '—')],
      Array.isArray(preview.sample_variables) && preview.sample_variables.length
        ? ['Sample values (not yet known per patient)', preview.sample_variables.join(', ')] : null,
    ]));

  if (!messages.length) {
    main.append(h('p', { class: 'notice' }, preview.matched
      ? 'This campaign sends no messages (staff call list only).'
      : 'No patient matches the segment now, so no sample can be shown.'));
  }

  const list = h('div', { class: 'variants' });
  main.append(list);
  for (const v of variants) {
    const title = `Step ${v.step} · ${channelName(v.channel)} · ${v.language}`;
    const article = h('article', { class: 'variant', 'aria-label': title },
      h('header', { class: 'variant-head' }, h('h2', null, title), verdictBadge(worst(v.messages))));
    if (v.channel === 'voice' || v.channel === 'rvm') {
      const audioError = alertBox();
      const audio = h('audio', { controls: true, preload: 'none', 'aria-label': `Listen: ${title}` });
      article.append(h('div', { class: 'audio' }, audio, audioError));
      // The server names the audio resource per message; else the documented route.
      const given = v.messages.map((m) => m.audio).find((a) => typeof a === 'string' && a.startsWith('/v1/'));
      (given ? blobUrl(given) : blobUrl(`${base}/audio`, { step: v.step, channel: v.channel, language: v.language }))
        .then((url) => {
          if (signal.aborted) {
            URL.revokeObjectURL(url);
            return;
          }
          blobs.push(url);
          audio.src = url;
        })
        .catch((e) => {
          if (!signal.aborted) showError(audioError, { ...e, message: `The audio could not be rendered: ${e.message}` });
        });
    }
    v.messages.forEach((m, k) => {
      const sample = h('section', { class: 'sample' },
        h('h3', null, `Sample ${k + 1}: ${m.first_name_masked || 'a patient'}${m.recipient ? ` (${m.recipient})` : ''}`),
        m.language_fallback ? h('p', { class: 'notice' }, `No ${v.language} variant for this patient's language: this one is sent instead.`) : null);
      if (m.channel === 'sms') append(sample, [smsSample(m)]);
      else if (m.channel === 'email') append(sample, [emailSample(m, sender)]);
      else if (m.channel === 'voice' || m.channel === 'rvm') append(sample, [voiceSample(m)]);
      else append(sample, [highlightedText(m.body, m.findings)]);
      if (m.findings && m.findings.length) {
        sample.append(findingsList(m.findings, { texts: { body: m.body || '', subject: m.subject || '' } }));
      }
      article.append(sample);
    });
    list.append(article);
  }

  // --- sign-off ------------------------------------------------------------------
  const practiceName = state.practice ? state.practice.name : 'the practice';
  const statementText = `I have read every message of the campaign "${campaign.name}" shown above and approve `
    + `this exact content (SHA-256 ${preview.content_sha256}), word for word, to be sent on behalf of `
    + `${practiceName} to the patients of its segment on its schedule.`;
  const signStatus = statusBox();
  const section = h('section', { class: 'card signoff', 'aria-labelledby': 'signoff-h' },
    h('h2', { id: 'signoff-h' }, 'Sign-off'));
  main.append(section);
  if (campaign.state !== 'submitted') {
    section.append(h('p', { class: 'notice' }, campaign.state === 'draft'
      ? 'This campaign is a draft: it must be submitted for approval before it can be signed off.'
      : `This campaign is ${campaign.state}; there is nothing to sign.`));
    return;
  }
  // The server decides (the author is always refused); the page says so up front.
  const signError = alertBox();
  const isAuthor = state.me && campaign.author === `user:${state.me.login}`;
  if (isAuthor) {
    showError(signError, { status: 403, code: 'permission_denied',
      message: 'You wrote this campaign, so you cannot approve it: the practice\'s approver must sign it off.' });
  } else if (!can('campaign.approve')) {
    section.append(h('p', { class: 'notice' }, 'Only the practice\'s approver can sign off a campaign; the server will refuse anyone else.'));
  }
  const nameField = field('Your name', 'input', { autocomplete: 'name', required: true, maxlength: '200',
    value: state.me ? state.me.display_name || '' : '' });
  const titleField = field('Your title', 'input', { autocomplete: 'organization-title', required: true, maxlength: '200' });
  const agree = h('input', { type: 'checkbox', id: 'approve-agree', required: true });
  const approveButton = h('button', { type: 'submit', class: 'button-primary' }, 'Approve');
  const blocked = preview.verdict === 'block';
  const form = h('form', { novalidate: true },
    h('p', null, 'The statement you sign:'),
    h('blockquote', { class: 'statement', id: 'statement' }, statementText),
    nameField.wrap, titleField.wrap,
    h('div', { class: 'field field-check' }, agree, h('label', { for: 'approve-agree' }, 'I approve this exact content')),
    blocked ? h('p', { class: 'notice' }, 'The scanner blocks some of this content; the server will refuse to send it.') : null,
    signError, signStatus, approveButton);
  section.append(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(signError, null);
    setStatus(signStatus, '');
    const name = nameField.input.value.trim();
    const title = titleField.input.value.trim();
    if (!name || !title) {
      showError(signError, { message: 'Enter your name and title.' });
      return;
    }
    if (!agree.checked) {
      showError(signError, { message: 'Tick "I approve this exact content" to sign.' });
      return;
    }
    await busy(approveButton, async () => {
      try {
        await api.post(`${base}/approve`, {
          name, title, statement: statementText, expected_sha256: preview.content_sha256,
        }, { idempotencyKey: idempotencyKey() });
        clear(form);
        form.append(h('p', { class: 'success', role: 'status' }, `Approved by ${name}, ${title}. `),
          h('p', null, h('a', { href: `#/campaigns/${encodeURIComponent(id)}` }, 'Open the campaign (to start it)')));
      } catch (e) {
        showError(signError, e);
      }
    });
  });
}
