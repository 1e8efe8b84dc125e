// Who is signed in and which practice is in use. The role table mirrors
// users::RolePermissions (src/users/users.cc); it only decides what the
// console offers: the server checks every request itself.

import { session } from './api.js';
import { h } from './dom.js';

const ROLE_PERMISSIONS = {
  operator: ['practice.read', 'patient.import', 'patient.read_masked', 'consent.read', 'template.write',
    'campaign.read', 'campaign.draft', 'campaign.run'],
  approver: ['practice.read', 'campaign.read', 'campaign.approve', 'consent.read', 'patient.read_masked'],
  staff: ['practice.read', 'patient.read_masked', 'patient.reveal', 'consent.read', 'consent.write', 'handoff.work'],
  auditor: ['audit.read', 'practice.read'],
};

export const state = {
  me: null,          // GET /v1/auth/me, or null when the server does not offer it
  practices: [],     // GET /v1/practices
  get practice() {
    return this.practices.find((p) => p.practice_id === session.practice) || null;
  },
};

// Roles of the signed-in user on the practice in use.
export function roles() {
  if (!state.me || !Array.isArray(state.me.roles)) return null;
  return state.me.roles
    .filter((r) => r.role === 'admin' || r.practice_id === session.practice)
    .map((r) => r.role);
}

export function isAdmin() {
  if (state.me && state.me.admin === true) return true;
  const held = roles();
  return held !== null && held.includes('admin');
}

// True when the user may exercise `permission` on the practice in use: the
// server's own answer (GET /v1/auth/me "permissions" per practice) when it
// gives one, else the role table above. When nothing is known (a server
// without /v1/auth/me), everything is offered and the server decides.
export function can(permission) {
  if (!state.me) return true;
  if (isAdmin()) return true;
  const perms = state.me.permissions;
  if (perms && typeof perms === 'object' && !Array.isArray(perms)) {
    const list = perms[session.practice];
    return Array.isArray(list) && list.includes(permission);
  }
  const held = roles();
  if (held === null) return true;
  return held.some((r) => (ROLE_PERMISSIONS[r] || []).includes(permission));
}

const ROLE_FOR = {
  'campaign.read': 'an operator or approver',
  'template.write': 'an operator',
  'consent.read': 'a staff, operator or approver',
  'handoff.work': 'a staff',
  'audit.read': 'an auditor',
  'patient.import': 'an operator',
};

// When the user lacks `permission` here, shows why (instead of a request the
// server would refuse) and returns true.
export function denied(main, permission, what) {
  if (can(permission)) return false;
  main.append(h('p', { class: 'notice' },
    `${what} needs ${ROLE_FOR[permission] || 'another'} role for this practice. Your roles: `
    + `${(roles() || []).join(', ') || 'none'}.`));
  return true;
}

// Where a user starts: the first section their roles let them use.
export function landing() {
  if (can('campaign.read')) return '#/campaigns';
  if (can('handoff.work')) return '#/handoffs';
  if (can('audit.read')) return '#/audit';
  if (can('consent.read')) return '#/patients';
  return '#/settings';
}
