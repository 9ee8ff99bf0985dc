import { html } from './html.js';
import { api } from './api.js';

// Your 1–5 star rating of a track, album or artist: a radio group (one Tab stop; ←/→ or ↑/↓
// lower and raise it, 1–5 set it, 0 or Delete clears it; clicking a star sets it, clicking the
// current one clears it), saved at once with PUT /api/v1/ratings/:type/:id.
export function ratingControl(type, id, name) {
  return html`<span class="rating" role="radiogroup" aria-label="Your rating of ${name}" data-rate="${type}" data-id="${id}" data-value="0">${
    [1, 2, 3, 4, 5].map((n) => html`<button type="button" role="radio" aria-checked="false" tabindex="${n === 1 ? 0 : -1}" data-n="${n}"
      aria-label="${n} star${n === 1 ? '' : 's'}">☆</button>`)}</span>`;
}

function show(group, value) {
  group.dataset.value = String(value);
  group.querySelectorAll('[data-n]').forEach((star) => {
    const n = Number(star.dataset.n);
    star.textContent = n <= value ? '★' : '☆';
    star.setAttribute('aria-checked', String(n === value));
    star.tabIndex = n === Math.max(1, value) ? 0 : -1;
  });
}

// Saves go one at a time per control, in order, so quick key presses end on the last value.
const saving = new WeakMap();

function rate(group, value) {
  if (value === Number(group.dataset.value)) return;
  const focused = group.contains(document.activeElement);
  show(group, value);
  if (focused) group.querySelector(`[data-n="${Math.max(1, value)}"]`).focus();
  const save = async () => {
    try {
      await api(`/api/v1/ratings/${group.dataset.rate}/${encodeURIComponent(group.dataset.id)}`, { method: 'PUT', body: { rating: value } });
      group.dataset.saved = String(value);
    } catch (error) {
      if (Number(group.dataset.value) === value) show(group, Number(group.dataset.saved || 0));
      window.dispatchEvent(new CustomEvent('cz-toast', { detail: `The rating was not saved: ${error.message}` }));
    }
  };
  saving.set(group, (saving.get(group) || Promise.resolve()).then(save));
}

/// Makes every rating control inside `root` work, and shows the saved ratings.
export async function wireRatings(root) {
  root.addEventListener('click', (event) => {
    const star = event.target.closest('.rating [data-n]');
    if (!star) return;
    const group = star.closest('.rating'), n = Number(star.dataset.n);
    rate(group, Number(group.dataset.value) === n ? 0 : n);
  });
  root.addEventListener('keydown', (event) => {
    const group = event.target.closest('.rating');
    if (!group) return;
    const value = Number(group.dataset.value);
    const next = { ArrowRight: value + 1, ArrowUp: value + 1, ArrowLeft: value - 1, ArrowDown: value - 1,
      Home: 1, End: 5, Delete: 0, Backspace: 0 }[event.key] ?? (/^[0-5]$/.test(event.key) ? Number(event.key) : null);
    if (next === null) return;
    event.preventDefault();
    rate(group, Math.min(5, Math.max(0, next)));
  });
  try {
    const ratings = await api('/api/v1/ratings');
    root.querySelectorAll('.rating').forEach((group) => {
      group.dataset.saved = String(ratings[`${group.dataset.rate}s`]?.[group.dataset.id] || 0);
      if (!saving.has(group)) show(group, Number(group.dataset.saved));
    });
  } catch (error) {
    window.dispatchEvent(new CustomEvent('cz-toast', { detail: `Your ratings could not be loaded: ${error.message}` }));
  }
}
