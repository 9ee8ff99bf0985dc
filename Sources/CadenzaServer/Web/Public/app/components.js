import { html } from './html.js';
import { artwork } from './api.js';
import { duration } from './format.js';

// Shared pieces of markup, and the one handler that turns their buttons into player actions.
export function albumGrid(albums) {
  if (!albums.length) return html`<p class="muted">No albums yet.</p>`;
  return html`<ul class="grid">${albums.map((a) => html`
    <li class="card">
      <a href="#/albums/${a.id}">
        ${a.artworkId ? html`<img src="${artwork(a.artworkId, 300)}" alt="" loading="lazy" width="150" height="150">` : html`<div class="noart" aria-hidden="true">♪</div>`}
        <span class="name">${a.title}</span>
      </a>
      <span class="muted">${a.artist?.name || ''}${a.year ? ` · ${a.year}` : ''}</span>
    </li>`)}</ul>`;
}

export function trackTable(tracks, { numbers = true } = {}) {
  return html`<table class="tracks">
    <thead><tr>${numbers ? html`<th scope="col">#</th>` : ''}<th scope="col">Title</th><th scope="col">Artist</th><th scope="col">Time</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${tracks.map((t, i) => html`<tr data-i="${i}">
      ${numbers ? html`<td>${t.trackNumber || ''}</td>` : ''}
      <td>${t.title}</td><td>${t.artist || ''}</td><td>${duration(t.durationMs)}</td>
      <td class="actions">
        <button type="button" data-play="now" aria-label="Play ${t.title}">▶</button>
        <button type="button" data-play="next" aria-label="Play ${t.title} next">Next</button>
        <button type="button" data-play="queue" aria-label="Add ${t.title} to the queue">+</button>
      </td></tr>`)}</tbody></table>`;
}

/// Track buttons inside `root` act on `tracks`: "now" plays from that track on.
export function wireTracks(root, tracks) {
  root.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-play]');
    if (!button) return;
    const i = Number(button.closest('[data-i]').dataset.i);
    const mode = button.dataset.play;
    const chosen = mode === 'now' ? tracks.slice(i) : [tracks[i]];
    window.dispatchEvent(new CustomEvent('cz-play', { detail: { tracks: chosen, mode } }));
  });
}

export function errorMessage(error) {
  return html`<p class="error" role="alert">${error.message}</p>`;
}
