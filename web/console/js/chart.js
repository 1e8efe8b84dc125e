// The report chart: an inline SVG (no library), lines per metric over time,
// or bars of the totals when the report has fewer than two time buckets. The same
// numbers are always in a table next to it (the chart is aria-labelled; the
// table is what assistive technology reads).

import { h } from './dom.js';

export const METRICS = [
  { key: 'sent', label: 'Sent' },
  { key: 'delivered', label: 'Delivered' },
  { key: 'replies', label: 'Replies' },
  { key: 'opt_outs', label: 'Opt-outs' },
  { key: 'reactivations', label: 'Reactivations' },
];

const W = 640;
const H = 260;
const PAD = { left: 48, right: 40, top: 16, bottom: 40 };

function niceMax(v) {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

function axes(svg, max) {
  const innerH = H - PAD.top - PAD.bottom;
  for (let k = 0; k <= 4; k += 1) {
    const value = (max * k) / 4;
    const y = PAD.top + innerH - (innerH * k) / 4;
    svg.append(h('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
    svg.append(h('text', { class: 'axis-label', x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' },
      Number.isInteger(value) ? value.toLocaleString() : value.toFixed(1)));
  }
}

// A bucket's label: its UTC day ("2026-03-02"), or for hourly buckets the
// hour in the browser's time zone ("Mar 2, 14:00"); `short` for the axis.
export function bucketLabel(b, bucket, short = false) {
  const start = String(b.day || b.start || '');
  if (b.day || bucket === 'day') return short ? start.slice(5, 10) : start.slice(0, 10);
  const d = new Date(start);
  if (Number.isNaN(d.getTime())) return start;
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return short ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
}

// totals: {sent, delivered, replies, opt_outs, reactivations}; series: the
// report's rows by day or hour ({day} or {start}; may be empty); bucket:
// "day" | "hour".
export function reportChart(totals, series, bucket = 'day') {
  const svg = h('svg', {
    role: 'img',
    'aria-label': 'Report chart',
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    preserveAspectRatio: 'xMidYMid meet',
  });
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const days = Array.isArray(series) ? series : [];

  if (days.length >= 2) {
    const max = niceMax(Math.max(1, ...days.flatMap((d) => METRICS.map((m) => Number(d[m.key]) || 0))));
    axes(svg, max);
    const x = (i) => PAD.left + (innerW * i) / (days.length - 1);
    const y = (v) => PAD.top + innerH - (innerH * (Number(v) || 0)) / max;
    const labelEvery = Math.max(1, Math.ceil(days.length / 7));
    days.forEach((d, i) => {
      if (i % labelEvery === 0 || i === days.length - 1) {
        svg.append(h('text', { class: 'axis-label', x: x(i), y: H - PAD.bottom + 18, 'text-anchor': 'middle' },
          bucketLabel(d, bucket, true)));
      }
    });
    METRICS.forEach((m, idx) => {
      const points = days.map((d, i) => `${x(i).toFixed(1)},${y(d[m.key]).toFixed(1)}`).join(' ');
      svg.append(h('polyline', { class: `series series-${idx}`, points, fill: 'none' }));
      days.forEach((d, i) => {
        svg.append(h('circle', { class: `dot series-${idx}`, cx: x(i), cy: y(d[m.key]), r: 3 },
          h('title', null, `${m.label}, ${bucketLabel(d, bucket)}: ${Number(d[m.key]) || 0}`)));
      });
    });
  } else {
    const values = METRICS.map((m) => Number(totals[m.key]) || 0);
    const max = niceMax(Math.max(1, ...values));
    axes(svg, max);
    const slot = innerW / METRICS.length;
    METRICS.forEach((m, idx) => {
      const v = values[idx];
      const barH = (innerH * v) / max;
      const bx = PAD.left + slot * idx + slot * 0.2;
      svg.append(h('rect', { class: `bar series-${idx}`, x: bx, y: PAD.top + innerH - barH, width: slot * 0.6, height: barH },
        h('title', null, `${m.label}: ${v}`)));
      svg.append(h('text', { class: 'axis-label', x: bx + slot * 0.3, y: H - PAD.bottom + 18, 'text-anchor': 'middle' },
        m.label));
    });
  }
  const legend = h('ul', { class: 'legend', 'aria-hidden': 'true' },
    METRICS.map((m, idx) => h('li', null, h('span', { class: `swatch series-${idx}` }), m.label)));
  return h('figure', { class: 'chart-figure' }, svg, legend);
}
