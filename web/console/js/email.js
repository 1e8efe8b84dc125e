// Shows an email's HTML body as the patient will see it, safely: a small
// tokenizer walks the HTML and rebuilds it from an allow-list of elements
// with no attributes (links become underlined text whose title is the URL;
// nothing loads, nothing runs, no external origin is referenced). Because it
// keeps each text run's offsets into the source, the scanner's findings
// (byte offsets into the HTML body) are highlighted in the rendered text.

import { h } from './dom.js';
import { byteIndexMapper, categoryLabel } from './findings.js';

const ALLOWED = new Set(['p', 'br', 'strong', 'b', 'em', 'i', 'u', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5',
  'h6', 'div', 'span', 'table', 'thead', 'tbody', 'tr', 'td', 'th', 'blockquote', 'hr', 'small', 'center', 'font']);
const VOID = new Set(['br', 'hr', 'img', 'meta', 'link', 'input', 'source', 'wbr', 'area', 'base', 'col', 'embed']);
const SKIP_CONTENT = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'iframe', 'object', 'svg']);
const RENAME = { center: 'div', font: 'span' };

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae',
  mdash: '\u2014', ndash: '\u2013', hellip: '\u2026', rsquo: '\u2019', lsquo: '\u2018', rdquo: '\u201d',
  ldquo: '\u201c', middot: '\u00b7', bull: '\u2022', trade: '\u2122' };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, name) => {
    if (name[0] === '#') {
      const cp = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
        return String.fromCodePoint(cp);
      }
      return m;
    }
    return Object.prototype.hasOwnProperty.call(ENTITIES, name.toLowerCase()) ? ENTITIES[name.toLowerCase()] : m;
  });
}

// Index of the '>' closing the tag that starts at `i` (quotes respected), or -1.
function tagEnd(src, i) {
  let quote = '';
  for (let j = i + 1; j < src.length; j += 1) {
    const c = src[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return j;
    }
  }
  return -1;
}

function attribute(tagText, name) {
  const re = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i');
  const m = re.exec(tagText);
  if (!m) return '';
  return decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
}

// Renders `html` into a new <div class="email-body">, highlighting `findings`
// (body findings with byte offsets into `html`).
export function renderEmailHtml(html, findings) {
  const src = String(html || '');
  const toIndex = byteIndexMapper(src);
  const spans = (findings || [])
    .filter((f) => (f.field || 'body') === 'body' && Number(f.end) > Number(f.start))
    .map((f) => ({ start: toIndex(Number(f.start)), end: toIndex(Number(f.end), true), f }));

  const root = h('div', { class: 'email-body' });
  const stack = [{ name: '#root', el: root }];
  const top = () => stack[stack.length - 1].el;

  const emitText = (a, b) => {
    if (b <= a) return;
    const cuts = new Set([a, b]);
    for (const s of spans) {
      if (s.start > a && s.start < b) cuts.add(s.start);
      if (s.end > a && s.end < b) cuts.add(s.end);
    }
    const points = [...cuts].sort((x, y) => x - y);
    for (let k = 0; k + 1 < points.length; k += 1) {
      const p = points[k];
      const q = points[k + 1];
      const text = decodeEntities(src.slice(p, q));
      const covering = spans.filter((s) => s.start <= p && s.end >= q);
      if (!covering.length) {
        top().append(document.createTextNode(text));
      } else {
        const block = covering.some((s) => s.f.severity === 'block');
        const cats = [...new Set(covering.map((s) => categoryLabel(s.f.category)))].join(', ');
        top().append(h('mark', { class: `finding finding-${block ? 'block' : 'warn'}`,
          title: `${block ? 'Blocked' : 'Warning'}: ${cats}` }, text));
      }
    }
  };

  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt === -1) {
      emitText(i, src.length);
      break;
    }
    emitText(i, lt);
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt + 4);
      i = end === -1 ? src.length : end + 3;
      continue;
    }
    const m = /^<\s*(\/?)\s*([a-zA-Z][a-zA-Z0-9-]*)/.exec(src.slice(lt, lt + 64));
    if (!m) {
      // A stray '<' or a declaration (<!DOCTYPE …>).
      if (src[lt + 1] === '!' || src[lt + 1] === '?') {
        const end = tagEnd(src, lt);
        i = end === -1 ? src.length : end + 1;
      } else {
        emitText(lt, lt + 1);
        i = lt + 1;
      }
      continue;
    }
    const end = tagEnd(src, lt);
    if (end === -1) {
      emitText(lt, src.length);
      break;
    }
    const closing = m[1] === '/';
    const name = m[2].toLowerCase();
    const tagText = src.slice(lt, end + 1);
    i = end + 1;
    if (!closing && SKIP_CONTENT.has(name)) {
      const close = src.toLowerCase().indexOf(`</${name}`, i);
      if (close === -1) {
        i = src.length;
      } else {
        const closeEnd = tagEnd(src, close);
        i = closeEnd === -1 ? src.length : closeEnd + 1;
      }
      continue;
    }
    if (closing) {
      const at = stack.map((s) => s.name).lastIndexOf(name);
      if (at > 0) stack.length = at;
      continue;
    }
    if (name === 'img') {
      const alt = attribute(tagText, 'alt');
      top().append(h('span', { class: 'email-image' }, `[image${alt ? `: ${alt}` : ''}]`));
      continue;
    }
    let el = null;
    if (name === 'a') {
      const href = attribute(tagText, 'href');
      el = h('span', { class: 'email-link', title: href ? `Link: ${href}` : 'Link' });
    } else if (ALLOWED.has(name)) {
      el = h(RENAME[name] || name, null);
    }
    const selfClosing = /\/\s*>$/.test(tagText);
    if (el) {
      top().append(el);
      if (!VOID.has(name) && !selfClosing) stack.push({ name, el });
    }
    // Unknown elements: dropped, their text kept (it lands in the parent).
  }
  return root;
}
