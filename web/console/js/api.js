// The API client: the bearer token lives in sessionStorage (gone when the tab
// closes), every call sends it, a 401 ends the session and returns to the
// sign-in page. Errors are thrown as ApiError with the server's
// {"error":{"code","message"}} and any extra fields of the body (findings).

const TOKEN_KEY = 'recall.token';
const PRACTICE_KEY = 'recall.practice';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || defaultMessage(status));
    this.status = status;
    this.code = code || '';
    this.body = body || null;
  }
}

function defaultMessage(status) {
  switch (status) {
    case 0: return 'The server cannot be reached. Check the connection and try again.';
    case 401: return 'Please sign in again.';
    case 403: return 'Your role does not allow this for this practice.';
    case 404: return 'Not found.';
    case 409: return 'This cannot be done in the current state.';
    case 413: return 'The upload is too large.';
    case 429: return 'Too many attempts; wait and try again.';
    default: return status >= 500 ? 'The server failed to answer. Try again later.' : 'The request was refused.';
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ''; },
  set token(v) { if (v) sessionStorage.setItem(TOKEN_KEY, v); else sessionStorage.removeItem(TOKEN_KEY); },
  get practice() { return sessionStorage.getItem(PRACTICE_KEY) || ''; },
  set practice(v) { if (v) sessionStorage.setItem(PRACTICE_KEY, v); else sessionStorage.removeItem(PRACTICE_KEY); },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PRACTICE_KEY);
  },
};

// Called on any 401 (set by app.js).
let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

// Ids taken from the URL hash are checked before they go into an API path.
const ID_RE = /^[A-Za-z0-9._~-]{1,128}$/;
export function checkId(id) {
  if (!ID_RE.test(id || '')) throw new ApiError(400, 'bad_id', 'That id is not valid.');
  return id;
}

// "/v1/practices/{p}" + rest, for the practice in use.
export function practicePath(rest = '') {
  return `/v1/practices/${encodeURIComponent(checkId(session.practice))}${rest}`;
}

export function idempotencyKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function errorFrom(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const err = body && typeof body === 'object' && body.error ? body.error : {};
  return new ApiError(res.status, err.code, err.message, body);
}

// request('GET', path, {body, query, headers, raw}) -> parsed JSON (or the
// Response when raw).
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store', signal: opts.signal });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  if (res.status === 401 && path !== '/v1/auth/login') {
    session.token = '';
    onUnauthenticated();
    throw await errorFrom(res);
  }
  if (!res.ok) throw await errorFrom(res);
  if (opts.raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}

export const api = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body = {}, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body = {}, opts = {}) => request('PUT', path, { ...opts, body }),
};

// Every page of a cursor-paginated list ({"items","next"}), up to `max` items.
export async function listAll(path, query = {}, max = 2000) {
  const items = [];
  let after = '';
  for (;;) {
    const page = await api.get(path, { ...query, after, limit: 500 });
    items.push(...(page.items || []));
    if (!page.next || items.length >= max) break;
    after = page.next;
  }
  return items;
}

// A binary resource fetched with the token, as a blob: URL (audio). The
// caller revokes it (URL.revokeObjectURL) when the page goes away.
export async function blobUrl(path, query) {
  const res = await request('GET', path, { query, raw: true, headers: { Accept: '*/*' } });
  const blob = await res.blob();
  return URL.createObjectURL(blob);
}

// Uploads a file with XMLHttpRequest, for upload progress events.
// onProgress(loaded, total). Resolves with the parsed JSON answer.
export function upload(path, file, contentType, onProgress, key) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', 'application/json');
    if (key) xhr.setRequestHeader('Idempotency-Key', key);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body);
        return;
      }
      if (xhr.status === 401) {
        session.token = '';
        onUnauthenticated();
      }
      const err = body && body.error ? body.error : {};
      reject(new ApiError(xhr.status, err.code, err.message, body));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', '')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.send(file);
  });
}
