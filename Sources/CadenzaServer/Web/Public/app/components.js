import { html } from './html.js';
import { api, artwork } from './api.js';
import { duration } from './format.js';
import { ratingControl } from './rating.js';

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

export function trackTable(tracks, { numbers = true, rate = false } = {}) {
  return html`<table class="tracks">
    <thead><tr>${numbers ? html`<th scope="col">#</th>` : ''}<th scope="col">Title</th><th scope="col" class="col-artist">Artist</th><th scope="col" class="col-time">Time</th>${rate ? html`<th scope="col">Rating</th>` : ''}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${tracks.map((t, i) => html`<tr data-i="${i}">
      ${numbers ? html`<td>${t.trackNumber || ''}</td>` : ''}
      <td>${t.title}</td><td class="col-artist">${t.artist || ''}</td><td class="col-time">${duration(t.durationMs)}</td>
      ${rate ? html`<td>${ratingControl('track', t.id, t.title)}</td>` : ''}
      <td class="actions">
        <button type="button" data-play="now" aria-label="Play ${t.title}">▶</button>
        <button type="button" data-play="next" aria-label="Play ${t.title} next">Next</button>
        <button type="button" data-play="queue" aria-label="Add ${t.title} to the queue">+</button>
        <button type="button" data-add-to-playlist aria-label="Add ${t.title} to a playlist">+ List</button>
        <button type="button" data-star aria-pressed="false" aria-label="Star ${t.title}">☆</button>
      </td></tr>`)}</tbody></table>`;
}

/// Track buttons inside `root` act on `tracks`: "now" plays from that track on.
export function wireTracks(root, tracks) {
  root.addEventListener('click', async (event) => {
    const star = event.target.closest('button[data-star]');
    if (star) {
      const track = tracks[Number(star.closest('[data-i]').dataset.i)];
      const on = star.getAttribute('aria-pressed') !== 'true';
      try {
        await api(`/api/v1/stars/track/${encodeURIComponent(track.id)}`, { method: on ? 'PUT' : 'DELETE' });
        star.setAttribute('aria-pressed', String(on));
        star.textContent = on ? '★' : '☆';
      } catch (error) { window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
      return;
    }
    const adder = event.target.closest('button[data-add-to-playlist]');
    if (adder) { await addToPlaylist([tracks[Number(adder.closest('[data-i]').dataset.i)]]); return; }
    const button = event.target.closest('button[data-play]');
    if (!button) return;
    const i = Number(button.closest('[data-i]').dataset.i);
    const mode = button.dataset.play;
    const chosen = mode === 'now' ? tracks.slice(i) : [tracks[i]];
    window.dispatchEvent(new CustomEvent('cz-play', { detail: { tracks: chosen, mode } }));
  });
}

/// Asks which of the user's playlists (or a new one) and appends the tracks there.
export async function addToPlaylist(tracks) {
  let dialog = document.getElementById('add-dialog');
  if (!dialog) {
    dialog = document.createElement('dialog');
    dialog.id = 'add-dialog';
    dialog.setAttribute('aria-labelledby', 'add-dialog-title');
    document.body.append(dialog);
  }
  let lists = [];
  try { lists = (await api('/api/v1/playlists')).filter((p) => p.mine); } catch (error) { lists = []; }
  dialog.innerHTML = html`<form method="dialog">
    <h2 id="add-dialog-title">Add to playlist</h2>
    <label for="add-target">Playlist</label>
    <select id="add-target">${lists.map((p) => html`<option value="${p.id}">${p.name}</option>`)}<option value="">New playlist…</option></select>
    <label for="add-new">Name for a new playlist</label><input id="add-new" maxlength="200">
    <p><button value="add">Add</button> <button value="cancel">Cancel</button></p></form>`.text;
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'add') return;
  const target = dialog.querySelector('#add-target').value, ids = tracks.map((t) => t.id);
  try {
    if (target) await api(`/api/v1/playlists/${encodeURIComponent(target)}`, { method: 'PATCH', body: { addTrackIds: ids } });
    else await api('/api/v1/playlists', { method: 'POST', body: { name: dialog.querySelector('#add-new').value || 'New playlist', trackIds: ids } });
    window.dispatchEvent(new CustomEvent('cz-toast', { detail: 'Added to the playlist' }));
  } catch (error) { window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
}

/// Shows which of the listed tracks are starred.
export function markStars(root, tracks, starred) {
  const ids = new Set(starred.tracks.map((t) => t.id));
  root.querySelectorAll('[data-i]').forEach((row) => {
    const button = row.querySelector('button[data-star]');
    const on = ids.has(tracks[Number(row.dataset.i)]?.id);
    if (button) { button.setAttribute('aria-pressed', String(on)); button.textContent = on ? '★' : '☆'; }
  });
}

export const VISIBILITIES = [['private', 'Only me (and administrators)'], ['instance', 'Everyone on this server'], ['public', 'Everyone, also other servers']];

export function errorMessage(error) {
  return html`<p class="error" role="alert">${error.message}</p>`;
}

/// HTML5 drag and drop between the rows of `list` that carry the attribute `attr` (their index);
/// `onMove(from, to)` does the move. Rows keep their up/down buttons for the keyboard.
export function dragReorder(list, attr, onMove) {
  let from = null;
  const rowOf = (event) => event.target.closest?.(`[${attr}][draggable="true"]`);
  const clear = () => list.querySelectorAll('.dragging, .drop-target').forEach((el) => el.classList.remove('dragging', 'drop-target'));
  list.addEventListener('dragstart', (event) => {
    const row = rowOf(event);
    if (!row) return;
    from = Number(row.getAttribute(attr));
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', String(from));
    row.classList.add('dragging');
  });
  list.addEventListener('dragover', (event) => {
    const row = rowOf(event);
    if (!row || from === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    list.querySelectorAll('.drop-target').forEach((el) => el.classList.remove('drop-target'));
    row.classList.add('drop-target');
  });
  list.addEventListener('drop', (event) => {
    const row = rowOf(event);
    if (!row || from === null) return;
    event.preventDefault();
    const start = from, to = Number(row.getAttribute(attr));
    from = null;
    clear();
    if (start !== to) onMove(start, to);
  });
  list.addEventListener('dragend', () => { from = null; clear(); });
}
