import { api } from '../api.js';
import { html } from '../html.js';
import { errorMessage, dragReorder, trackButtons, wireTracks, markStars, act } from '../components.js';
import { duration } from '../format.js';
import { go } from '../router.js';

export const title = 'Playlist';

export async function render(main, { id }) {
  let playlist;
  const say = (text) => { main.querySelector('#pl-status').textContent = text; };
  const draw = () => {
    document.title = `${playlist.name} – Cadenza`;
    const tracks = playlist.tracks || [];
    main.innerHTML = html`<h1>${playlist.name}</h1>
      <p class="muted">${tracks.length} tracks · ${playlist.isPublic ? 'public' : 'private'} · by ${playlist.owner}</p>
      <p><button type="button" id="pl-play">Play</button> <button type="button" id="pl-next">Play next</button>
      <button type="button" id="pl-queue">Add to queue</button>
      ${playlist.mine ? html`<button type="button" id="pl-rename">Rename</button>
        <button type="button" id="pl-visibility">Make ${playlist.isPublic ? 'private' : 'public'}</button>
        <button type="button" id="pl-delete">Delete playlist</button>` : ''}</p>
      <ol class="plain" id="pl-tracks">${tracks.map((t, i) => html`<li data-i="${i}" ${playlist.mine ? html`draggable="true"` : ''}>${t.title} <span class="muted">— ${t.artist || ''} · ${duration(t.durationMs)}</span>
        <span class="actions">${trackButtons(t)}</span>
        ${playlist.mine ? html`<button type="button" data-move="-1" aria-label="Move ${t.title} up">↑</button>
          <button type="button" data-move="1" aria-label="Move ${t.title} down">↓</button>
          <button type="button" data-remove aria-label="Remove ${t.title} from the playlist">✕</button>` : ''}</li>`)}</ol>
      <p id="pl-status" role="status"></p>`.text;
    api('/api/v1/stars').then((starred) => markStars(main, tracks, starred)).catch(() => {});
  };
  const save = async (patch) => {
    try { playlist = await api(`/api/v1/playlists/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch }); draw(); say('Saved.'); }
    catch (error) { say(error.message); }
  };
  try {
    playlist = await api(`/api/v1/playlists/${encodeURIComponent(id)}`);
    draw();
  } catch (error) {
    main.innerHTML = html`<h1>Playlist</h1>${errorMessage(error)}`.text;
    return;
  }
  wireTracks(main, () => playlist.tracks || []);
  // Rows are dragged to their new place (mouse and touch); the ↑/↓ buttons do the same by keyboard.
  dragReorder(main, 'data-i', async (from, to) => {
    const ids = (playlist.tracks || []).map((t) => t.id);
    ids.splice(to, 0, ...ids.splice(from, 1));
    await save({ trackIds: ids });
  });
  main.addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const ids = (playlist.tracks || []).map((t) => t.id);
    const i = Number(button.closest('[data-i]')?.dataset.i);
    const whole = { 'pl-play': 'now', 'pl-next': 'next', 'pl-queue': 'queue' }[button.id];
    if (whole) act(playlist.tracks || [], whole);
    else if (button.id === 'pl-rename') { const name = prompt('New name', playlist.name); if (name) await save({ name }); }
    else if (button.id === 'pl-visibility') await save({ isPublic: !playlist.isPublic });
    else if (button.id === 'pl-delete') {
      if (!confirm(`Delete “${playlist.name}”?`)) return;
      try { await api(`/api/v1/playlists/${encodeURIComponent(id)}`, { method: 'DELETE' }); go('/playlists'); } catch (error) { say(error.message); }
    } else if (button.dataset.move) {
      const j = i + Number(button.dataset.move);
      if (j < 0 || j >= ids.length) return;
      [ids[i], ids[j]] = [ids[j], ids[i]];
      await save({ trackIds: ids });
      main.querySelector(`[data-i="${j}"] [data-move="${button.dataset.move}"]`)?.focus();
    } else if ('remove' in button.dataset) {
      ids.splice(i, 1);
      await save({ trackIds: ids });
    }
  });
}
