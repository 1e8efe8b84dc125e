// Scanner findings: byte offsets (UTF-8) from the server mapped onto the
// JavaScript string (UTF-16), highlighted as <mark class="finding
// finding-block|finding-warn" title="category">, and listed.

import { h } from './dom.js';

// Returns a function byte offset -> string index for `text`. An offset inside
// a multi-byte character maps to that character's start (or end when
// `roundUp`), so a highlight never splits a character.
export function byteIndexMapper(text) {
  const starts = [];  // [byteOffset, index] at each code point
  let bytes = 0;
  let index = 0;
  for (const ch of text) {
    starts.push([bytes, index]);
    const cp = ch.codePointAt(0);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    index += ch.length;
  }
  starts.push([bytes, index]);
  return (offset, roundUp = false) => {
    if (offset <= 0) return 0;
    if (offset >= bytes) return index;
    // Binary search for the last code point starting at or before offset.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid][0] <= offset) lo = mid; else hi = mid - 1;
    }
    if (starts[lo][0] === offset || !roundUp) return starts[lo][1];
    return starts[lo + 1][1];
  };
}

function severityOf(f) {
  return f.severity === 'block' ? 'block' : 'warn';
}

export function categoryLabel(category) {
  return String(category || 'finding').replaceAll('_', ' ');
}

// Findings that point into `field` ("body" by default; findings without a
// field are body findings) and have a span.
export function spansFor(findings, field = 'body') {
  return (findings || []).filter((f) => (f.field || 'body') === field && Number(f.end) > Number(f.start));
}

// Nodes for `text` with the findings' spans wrapped in <mark>. Overlapping
// findings are cut at their boundaries; a piece covered by a block finding is
// a block mark; its title names every category covering it.
export function highlightedNodes(text, findings) {
  const toIndex = byteIndexMapper(text);
  const spans = findings.map((f) => ({
    start: toIndex(Number(f.start)),
    end: toIndex(Number(f.end), true),
    f,
  })).filter((s) => s.end > s.start);
  const cuts = new Set([0, text.length]);
  for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const nodes = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    const a = points[i];
    const b = points[i + 1];
    const piece = text.slice(a, b);
    const covering = spans.filter((s) => s.start <= a && s.end >= b);
    if (!covering.length) {
      nodes.push(document.createTextNode(piece));
      continue;
    }
    const block = covering.some((s) => severityOf(s.f) === 'block');
    const categories = [...new Set(covering.map((s) => categoryLabel(s.f.category)))].join(', ');
    nodes.push(h('mark', {
      class: `finding finding-${block ? 'block' : 'warn'}`,
      title: `${block ? 'Blocked' : 'Warning'}: ${categories}`,
    }, piece));
  }
  return nodes;
}

// A block of preformatted text with highlights.
export function highlightedText(text, findings, attrs = {}) {
  return h('div', { class: 'message-text', ...attrs }, highlightedNodes(text || '', spansFor(findings)));
}

// The list of findings, in an element labelled "Findings".
// `texts` ({body, subject}) lets a finding without a `match` quote its span.
export function findingsList(findings, { emptyText = 'No findings: the text passes the scanner.', texts = {} } = {}) {
  const quote = (f) => {
    if (f.match) return f.match;
    const field = f.field || 'body';
    const text = texts[field];
    if (typeof text !== 'string' || !(Number(f.end) > Number(f.start))) return '';
    const toIndex = byteIndexMapper(text);
    return text.slice(toIndex(Number(f.start)), toIndex(Number(f.end), true));
  };
  const list = h('ul', { class: 'findings', 'aria-label': 'Findings' });
  if (!findings || !findings.length) {
    list.append(h('li', { class: 'finding-none' }, emptyText));
    return list;
  }
  const sorted = [...findings].sort((x, y) => (severityOf(x) === severityOf(y) ? 0 : severityOf(x) === 'block' ? -1 : 1));
  for (const f of sorted) {
    const sev = severityOf(f);
    const where = f.field && f.field !== 'body' ? ` (in ${f.field.replace('value:', 'value of ')})` : '';
    list.append(h('li', { class: `finding-item finding-item-${sev}` },
      h('span', { class: `badge badge-${sev}` }, sev === 'block' ? 'Blocked' : 'Warning'), ' ',
      h('strong', null, categoryLabel(f.category)), where,
      quote(f) ? [': ', h('q', null, quote(f))] : null,
      f.message ? h('span', { class: 'finding-message' }, ` — ${f.message}`) : null));
  }
  return list;
}

export function verdictBadge(verdict) {
  const v = verdict || 'ok';
  const label = v === 'block' ? 'Blocked' : v === 'warn' ? 'Warnings' : 'OK';
  return h('span', { class: `badge badge-${v === 'block' ? 'block' : v === 'warn' ? 'warn' : 'ok'}` }, label);
}
