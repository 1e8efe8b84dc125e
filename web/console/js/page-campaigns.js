// Campaigns list (with state) and the practice's templates.

import { listAll, practicePath } from './api.js';
import { h, table, alertBox, showError } from './dom.js';
import { can, denied } from './state.js';

export function stateBadge(s) {
  return h('span', { class: `state state-${String(s || '').replace(/[^a-z_]/g, '')}` }, String(s || '—'));
}

function stepCount(c) {
  return Array.isArray(c.steps) ? c.steps.length : (c.steps ?? '—');
}

export async function render(ctx) {
  const { main } = ctx;
  const error = alertBox();
  main.append(h('h1', null, 'Campaigns'), error);
  if (denied(main, 'campaign.read', 'Seeing campaigns')) return;
  let rows = [];
  try {
    rows = await listAll(practicePath('/campaigns'));
  } catch (e) {
    showError(error, e);
  }
  if (ctx.signal.aborted) return;
  // Campaigns waiting for the user first: submitted for approvers, drafts for operators.
  const order = { submitted: 0, approved: 1, running: 2, scheduled: 3, paused: 4, draft: 5, completed: 6 };
  rows.sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || String(a.name).localeCompare(String(b.name)));
  const waiting = rows.filter((c) => c.state === 'submitted').length;
  if (waiting && can('campaign.approve')) {
    main.append(h('p', { class: 'notice' }, `${waiting} campaign${waiting === 1 ? '' : 's'} waiting for your approval.`));
  }
  main.append(h('section', { 'aria-labelledby': 'campaigns-h' },
    h('h2', { id: 'campaigns-h', class: 'visually-hidden' }, 'All campaigns'),
    table([
      { label: 'Name', render: (c) => h('a', { href: `#/campaigns/${encodeURIComponent(c.campaign_id)}` }, c.name) },
      { label: 'State', render: (c) => stateBadge(c.state) },
      { label: 'Kind', render: (c) => c.kind },
      { label: 'Purpose', render: (c) => c.purpose },
      { label: 'Steps', render: (c) => String(stepCount(c)), class: 'num' },
      { label: 'Starts', render: (c) => (c.schedule && c.schedule.start) || c.schedule_start || '—' },
    ], rows, { label: 'Campaigns', empty: 'No campaigns yet.' })));

  if (can('template.write') || can('campaign.read')) {
    const tplError = alertBox();
    const section = h('section', { 'aria-labelledby': 'templates-h' }, h('h2', { id: 'templates-h' }, 'Templates'), tplError);
    main.append(section);
    try {
      const templates = await listAll(practicePath('/templates'));
      if (ctx.signal.aborted) return;
      templates.sort((a, b) => String(a.name).localeCompare(String(b.name)));
      section.append(table([
        { label: 'Name', render: (t) => (can('template.write')
          ? h('a', { href: `#/templates/${encodeURIComponent(t.template_id)}` }, t.name) : t.name) },
        { label: 'Channel', render: (t) => t.channel },
        { label: 'Language', render: (t) => t.language },
        { label: 'Tier', render: (t) => String(t.tier), class: 'num' },
        { label: 'Version', render: (t) => String(t.version), class: 'num' },
        { label: 'Purpose', render: (t) => t.purpose },
      ], templates, { label: 'Templates', empty: 'No templates yet.' }));
    } catch (e) {
      showError(tplError, e);
    }
  }
}
