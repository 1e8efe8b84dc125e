// Sign-in: login, password and the authenticator (TOTP) code.

import { api, session, ApiError } from './api.js';
import { h, field, alertBox, showError, busy } from './dom.js';

export async function render(ctx) {
  if (session.token) {
    // Already signed in (a reload on #/login): carry on.
    try {
      await ctx.onSignedIn();
      return;
    } catch {
      session.token = '';
    }
  }
  const error = alertBox();
  const notice = sessionStorage.getItem('recall.notice');
  sessionStorage.removeItem('recall.notice');
  const loginField = field('Login', 'input', { name: 'login', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false' });
  const passwordField = field('Password', 'input', { name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const totpField = field('Authenticator code', 'input', { name: 'totp', inputmode: 'numeric',
    autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', maxlength: '8', required: true,
    'aria-describedby': 'totp-help' });
  const submit = h('button', { type: 'submit', class: 'button-primary' }, 'Sign in');
  const form = h('form', { class: 'card signin', novalidate: true },
    h('h1', null, 'Sign in to Recall'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    loginField.wrap, passwordField.wrap, totpField.wrap,
    h('p', { class: 'help', id: 'totp-help' }, 'The six-digit code from your authenticator app.'),
    error, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, null);
    const body = {
      login: loginField.input.value.trim(),
      password: passwordField.input.value,
      totp: totpField.input.value.replace(/\s+/g, ''),
    };
    if (!body.login || !body.password) {
      showError(error, { message: 'Enter your login and password.' });
      return;
    }
    await busy(submit, async () => {
      try {
        const res = await api.post('/v1/auth/login', body);
        session.token = res.token;
        passwordField.input.value = '';
        await ctx.onSignedIn();
      } catch (e) {
        session.token = '';
        if (e instanceof ApiError && e.status === 401) {
          showError(error, { status: 401, code: 'unauthenticated',
            message: 'The login, password or authenticator code is not right.' });
        } else {
          showError(error, e);
        }
        totpField.input.value = '';
      }
    });
  });
  ctx.main.append(h('div', { class: 'signin-wrap' }, form));
  loginField.input.focus();
}
