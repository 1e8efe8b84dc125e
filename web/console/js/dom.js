// DOM helpers. Every node is built with createElement/textContent: API data
// (patient data included) is never parsed as HTML, so it cannot become markup.

let idCounter = 0;

// A unique element id, for <label for>.
export function uid(prefix = 'f') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// Attributes that take URLs: only same-document links ('#/…'), relative
// console paths or blob: URLs we made ourselves are accepted.
const URL_ATTRS = new Set(['href', 'src', 'action']);

function safeUrl(value) {
  const v = String(value);
  if (v.startsWith('#') || v.startsWith('blob:')) return v;
  if (/^[A-Za-z0-9._\-/]+$/.test(v) && !v.startsWith('//')) return v;  // relative, same origin
  return '#';
}

// h('p', {class: 'x'}, 'text', child, [more children]) -> Element.
// Attribute values are set with setAttribute (never as markup); `on*`
// entries are event listeners; boolean true sets an empty attribute, false or
// null omits it. Children: strings (text nodes), nodes, arrays, null.
export function h(tag, attrs, ...children) {
  const el = tag === 'svg' || SVG_TAGS.has(tag)
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
      } else if (key === 'value' && 'value' in el && !(el instanceof SVGElement)) {
        el.value = String(value);
      } else if (key === 'checked' || key === 'selected' || key === 'disabled') {
        el[key] = Boolean(value);
        if (value) el.setAttribute(key, '');
      } else if (URL_ATTRS.has(key)) {
        el.setAttribute(key, safeUrl(value));
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['g', 'path', 'line', 'polyline', 'circle', 'rect', 'text', 'title', 'desc']);

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// A labelled form control: returns {wrap, input}. `kind` is 'input',
// 'textarea' or 'select'; `options` for select: [{value, label}].
export function field(label, kind = 'input', attrs = {}, options = []) {
  const id = attrs.id || uid();
  const input = h(kind, { ...attrs, id });
  for (const o of options) {
    input.append(h('option', { value: o.value, selected: o.selected }, o.label));
  }
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input);
  return { wrap, input };
}

// An element for API errors: role="alert" so screen readers announce it.
export function alertBox() {
  const el = h('div', { class: 'alert', role: 'alert' });
  el.hidden = true;
  return el;
}

export function showError(box, error) {
  clear(box);
  if (!error) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const msg = error.message || 'Something went wrong.';
  box.append(h('strong', null, error.status ? `${error.status} ${error.code || ''}`.trim() : 'Error'), ' ', msg);
}

// A status line (role="status") for successes.
export function statusBox() {
  const el = h('p', { class: 'status', role: 'status' });
  return el;
}

export function setStatus(box, text) {
  box.textContent = text || '';
}

// A table inside a horizontally scrolling wrapper (phone width).
// columns: [{label, render(row) -> node|string, class?}]
export function table(columns, rows, { caption, empty = 'Nothing to show.', label } = {}) {
  const wrap = h('div', { class: 'table-wrap' });
  if (!rows.length) {
    wrap.append(h('p', { class: 'muted' }, empty));
    return wrap;
  }
  const t = h('table', label ? { 'aria-label': label } : null,
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h('tbody', null, rows.map((r) => h('tr', null, columns.map((c) => h('td', { class: c.class }, c.render(r)))))));
  wrap.append(t);
  return wrap;
}

// A key/value list (<dl>).
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// A labelled <progress> shown while `work` runs (indeterminate unless set).
export function progressBar(label) {
  const id = uid('p');
  const bar = h('progress', { id, max: '100' });
  bar.removeAttribute('value');
  const wrap = h('div', { class: 'progress' }, h('label', { for: id }, label), bar);
  wrap.hidden = true;
  return { wrap, bar };
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatNumber(n) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString();
}

// Runs `fn` with `button` disabled (no double submit).
export async function busy(button, fn) {
  const buttons = Array.isArray(button) ? button : [button];
  buttons.forEach((b) => { b.disabled = true; b.setAttribute('aria-busy', 'true'); });
  try {
    return await fn();
  } finally {
    buttons.forEach((b) => { b.disabled = false; b.removeAttribute('aria-busy'); });
  }
}

// Short display of a map of counts: {a: 1, b: 2} -> "a 1, b 2".
export function countsText(obj) {
  const entries = Object.entries(obj || {}).filter(([, v]) => v);
  if (!entries.length) return '—';
  return entries.map(([k, v]) => `${k.replaceAll('_', ' ')} ${formatNumber(v)}`).join(', ');
}
