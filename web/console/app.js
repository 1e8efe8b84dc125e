// The Recall console: a single page with hash routing (#/campaigns, …).
// No build step and no dependencies: ES modules served by Recall itself under
// a strict Content-Security-Policy (docs/console.md).

import { api, session, setUnauthenticatedHandler, ApiError } from './js/api.js';
import { h, clear, field } from './js/dom.js';
import { state, landing } from './js/state.js';
import * as login from './js/page-login.js';
import * as campaigns from './js/page-campaigns.js';
import * as campaign from './js/page-campaign.js';
import * as approve from './js/page-approve.js';
import * as template from './js/page-template.js';
import * as patients from './js/page-patients.js';
import * as handoffs from './js/page-handoffs.js';
import * as audit from './js/page-audit.js';
import * as settings from './js/page-settings.js';
import * as importPage from './js/page-import.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
const footer = document.getElementById('page-footer');

// Route table: pattern segments (':name' captures) -> page module.
const ROUTES = [
  { path: ['login'], page: login, section: '', public: true },
  { path: ['campaigns'], page: campaigns, section: 'campaigns' },
  { path: ['campaigns', ':campaign'], page: campaign, section: 'campaigns' },
  { path: ['campaigns', ':campaign', 'approve'], page: approve, section: 'campaigns' },
  { path: ['templates', ':template'], page: template, section: 'campaigns' },
  { path: ['patients'], page: patients, section: 'patients' },
  { path: ['patients', ':patient'], page: patients, section: 'patients' },
  { path: ['handoffs'], page: handoffs, section: 'handoffs' },
  { path: ['handoffs', ':handoff'], page: handoffs, section: 'handoffs' },
  { path: ['audit'], page: audit, section: 'audit' },
  { path: ['settings'], page: settings, section: 'settings' },
  { path: ['import'], page: importPage, section: 'import' },
];

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart] = raw.split('?');
  const parts = pathPart.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  for (const r of ROUTES) {
    if (r.path.length !== parts.length) continue;
    const params = {};
    let ok = true;
    r.path.forEach((seg, i) => {
      if (seg.startsWith(':')) params[seg.slice(1)] = parts[i];
      else if (seg !== parts[i]) ok = false;
    });
    if (ok) return { route: r, params };
  }
  return null;
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

let current = null;  // {controller}
let nextAfterLogin = '';

// Loads the signed-in user and their practices (after sign-in or a reload).
async function loadIdentity() {
  try {
    state.me = await api.get('/v1/auth/me');
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) state.me = null;  // older server
    else throw e;
  }
  const page = await api.get('/v1/practices', { limit: 500 });
  state.practices = page.items || [];
  if (!state.practices.some((p) => p.practice_id === session.practice)) {
    session.practice = state.practices.length ? state.practices[0].practice_id : '';
  }
  renderHeader();
}

function renderHeader() {
  const picker = document.getElementById('practice-picker');
  clear(picker);
  if (state.practices.length > 1) {
    const { wrap, input } = field('Practice', 'select', {}, state.practices.map((p) => ({
      value: p.practice_id, label: p.name, selected: p.practice_id === session.practice,
    })));
    input.addEventListener('change', () => {
      session.practice = input.value;
      navigate('#/campaigns');
    });
    picker.append(wrap);
  } else if (state.practices.length === 1) {
    picker.append(h('span', { class: 'practice-name' }, state.practices[0].name));
  }
  const who = document.getElementById('who-name');
  who.textContent = state.me ? (state.me.display_name || state.me.login || '') : '';
}

function markNav(section) {
  for (const a of document.querySelectorAll('#main-nav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (current) current.controller.abort();
  const controller = new AbortController();
  current = { controller };
  const match = parseHash();
  if (!match) {
    location.replace(session.token ? landing() : '#/login');
    return;
  }
  const { route: r, params } = match;
  if (!r.public && !session.token) {
    nextAfterLogin = location.hash;
    location.replace('#/login');
    return;
  }
  if (!r.public && !state.practices.length) {
    try {
      await loadIdentity();
    } catch (e) {
      if (controller.signal.aborted) return;
      if (!session.token) return;  // 401: the handler went to #/login
      showFatal(e);
      return;
    }
    if (controller.signal.aborted) return;
  }
  topbar.hidden = Boolean(r.public);
  footer.hidden = Boolean(r.public);
  markNav(r.section);
  clear(main);
  if (!r.public && !session.practice) {
    main.append(h('h1', null, 'No practice'),
      h('p', null, 'Your account has no role in any practice yet. Ask an administrator to grant you one.'));
    return;
  }
  const ctx = {
    main,
    params,
    signal: controller.signal,
    navigate,
    onSignedIn: async () => {
      await loadIdentity();
      const target = nextAfterLogin && !nextAfterLogin.startsWith('#/login') ? nextAfterLogin : landing();
      nextAfterLogin = '';
      navigate(target);
    },
  };
  try {
    await r.page.render(ctx);
  } catch (e) {
    if (controller.signal.aborted || (e && e.name === 'AbortError')) return;
    if (e instanceof ApiError && e.status === 401) return;
    showFatal(e);
    return;
  }
  if (controller.signal.aborted) return;
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} — Recall` : 'Recall console';
  if (!r.public) main.focus({ preventScroll: false });
}

function showFatal(e) {
  clear(main);
  const box = h('div', { class: 'alert', role: 'alert' },
    h('strong', null, e && e.status ? `${e.status} ${e.code || ''}` : 'Error'), ' ',
    (e && e.message) || 'The page could not be loaded.');
  main.append(h('h1', null, 'Something went wrong'), box,
    h('p', null, h('a', { href: landing() }, 'Go to the start page')));
}

setUnauthenticatedHandler(() => {
  state.me = null;
  state.practices = [];
  if (!location.hash.startsWith('#/login')) {
    nextAfterLogin = location.hash;
    sessionStorage.setItem('recall.notice', 'Your session has ended. Please sign in again.');
    location.replace('#/login');
  }
});

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    if (session.token) await api.post('/v1/auth/logout', {});
  } catch {
    // The session ends on this side regardless.
  }
  session.clear();
  state.me = null;
  state.practices = [];
  nextAfterLogin = '';
  location.replace('#/login');
});

document.getElementById('skip-link').addEventListener('click', () => main.focus());

window.addEventListener('hashchange', route);
route();
