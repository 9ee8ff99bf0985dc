import { html } from './html.js';

// Small hand-written SVG charts (no library): bars with labels, and a weekday × hour heat map.
export function bars(items, { label, value, width = 640 }) {
  if (!items.length) return html`<p class="muted">Nothing in this range yet.</p>`;
  const max = Math.max(...items.map(value), 1), row = 26, labelWidth = 220;
  return html`<svg class="chart" role="img" aria-label="${items.length} bars" viewBox="0 0 ${width} ${items.length * row}" width="100%">
    ${items.map((item, i) => {
      const w = Math.max(2, (width - labelWidth - 50) * value(item) / max);
      return html`<g transform="translate(0 ${i * row})">
        <text x="0" y="17" class="label">${String(label(item)).slice(0, 32)}</text>
        <rect x="${labelWidth}" y="4" width="${w.toFixed(1)}" height="${row - 8}" rx="3"></rect>
        <text x="${(labelWidth + w + 6).toFixed(1)}" y="17">${value(item)}</text></g>`;
    })}</svg>`;
}

export function heatmap(days) {
  const names = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const cells = names.map((d) => (days[d] || []).reduce((a, h) => { a[h.hour] = h.listen_count; return a; }, Array(24).fill(0)));
  const max = Math.max(1, ...cells.flat()), cell = 22, left = 90;
  return html`<svg class="chart heat" role="img" aria-label="Listens by weekday and hour" viewBox="0 0 ${left + 24 * cell} ${7 * cell + 20}" width="100%">
    ${names.map((d, r) => html`<text x="0" y="${r * cell + 15}" class="label">${d}</text>
      ${cells[r].map((n, h) => html`<rect x="${left + h * cell}" y="${r * cell}" width="${cell - 2}" height="${cell - 2}"
        style="opacity:${(0.08 + 0.92 * n / max).toFixed(2)}"><title>${d} ${h}:00 – ${n} listens</title></rect>`)}`)}
    ${[0, 6, 12, 18].map((h) => html`<text x="${left + h * cell}" y="${7 * cell + 15}" class="label">${h}:00</text>`)}
  </svg>`;
}
