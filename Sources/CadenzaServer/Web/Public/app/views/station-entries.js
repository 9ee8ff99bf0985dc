import { api } from '../api.js';
import { html } from '../html.js';
import { duration } from '../format.js';

/// A station playlist's entries, each with its own cue points (where in the file it starts and
/// stops, in seconds) and fades (how long it fades in and out instead of the station's
/// crossfade, in ms), in order; reordered, removed and saved as one list.
export function entryEditor(box, { path, say, saved }) {
  let playlist = null;
  const fields = ['cueInMs', 'cueOutMs', 'fadeInMs', 'fadeOutMs'];
  const seconds = (field) => field.startsWith('cue');
  const shown = (field, ms) => (ms == null ? '' : seconds(field) ? String(ms / 1000) : String(ms));
  const labels = { cueInMs: 'Cue in', cueOutMs: 'Cue out', fadeInMs: 'Fade in', fadeOutMs: 'Fade out' };
  const render = () => {
    const last = playlist.entries.length - 1;
    box.innerHTML = html`<form id="entries-form" class="entries"><fieldset><legend>${playlist.name}: cue points and fades</legend>
      <p class="muted">Cue points in seconds into the file; fades in milliseconds (empty: the station's crossfade).</p>
      <table class="tracks"><thead><tr><th scope="col">Track</th><th scope="col">Cue in (s)</th><th scope="col">Cue out (s)</th>
        <th scope="col">Fade in (ms)</th><th scope="col">Fade out (ms)</th><th scope="col"><span class="visually-hidden">Order</span></th></tr></thead>
      <tbody>${playlist.entries.map((e, i) => html`<tr data-index="${i}"><th scope="row">${e.title || 'A track no longer in the library'}
          <span class="muted">${e.durationMs ? duration(e.durationMs) : ''}</span></th>
        ${fields.map((f) => html`<td><input type="number" min="0" step="any" ${seconds(f) ? '' : html`max="10000"`} data-field="${f}"
          value="${shown(f, e[f])}" aria-label="${labels[f]} for ${e.title || 'track'} ${i + 1}"></td>`)}
        <td><button type="button" class="ghost" data-up="${i}" ${i === 0 ? 'disabled' : ''} aria-label="Move ${e.title || 'track'} ${i + 1} up">↑</button>
          <button type="button" class="ghost" data-down="${i}" ${i === last ? 'disabled' : ''} aria-label="Move ${e.title || 'track'} ${i + 1} down">↓</button>
          <button type="button" class="ghost" data-remove="${i}" aria-label="Remove ${e.title || 'track'} ${i + 1}">Remove</button></td></tr>`)}</tbody></table>
      <button type="submit">Save</button> <button type="button" class="ghost" data-close>Close</button></fieldset></form>`.text;
  };
  // What is typed is kept in the entries before anything moves.
  const collect = () => {
    for (const row of box.querySelectorAll('tr[data-index]')) {
      const entry = playlist.entries[Number(row.dataset.index)];
      for (const input of row.querySelectorAll('input[data-field]')) {
        const text = input.value.trim(), field = input.dataset.field;
        entry[field] = text === '' ? null : Math.round(Number(text) * (seconds(field) ? 1000 : 1));
      }
    }
  };
  const close = () => { playlist = null; box.innerHTML = ''; };
  box.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button || !playlist) return;
    if (button.dataset.close !== undefined) { close(); return; }
    const move = (from, to) => { collect(); const [entry] = playlist.entries.splice(from, 1); playlist.entries.splice(to, 0, entry); render(); };
    if (button.dataset.up) move(Number(button.dataset.up), Number(button.dataset.up) - 1);
    else if (button.dataset.down) move(Number(button.dataset.down), Number(button.dataset.down) + 1);
    else if (button.dataset.remove) { collect(); playlist.entries.splice(Number(button.dataset.remove), 1); render(); }
  });
  box.addEventListener('submit', async (event) => {
    event.preventDefault();
    collect();
    const bad = playlist.entries.flatMap((e) => fields.filter((f) => e[f] != null && !Number.isFinite(e[f])));
    if (bad.length) { say('Cue points and fades are numbers.'); return; }
    const entries = playlist.entries.map((e) => Object.fromEntries([['trackId', e.trackId], ...fields.filter((f) => e[f] != null).map((f) => [f, e[f]])]));
    try {
      playlist = await api(`${path}/playlists/${playlist.id}`, { method: 'PUT', body: { entries } });
      render();
      say(`${playlist.name} saved.`);
      saved();
    } catch (error) { say(error.message); }
  });
  return {
    /// Closes the editor if it shows that playlist (it was deleted).
    closeIf: (id) => { if (playlist && String(playlist.id) === String(id)) close(); },
    open: async (id) => {
      try { playlist = await api(`${path}/playlists/${id}`); render(); box.querySelector('input')?.focus(); } catch (error) { say(error.message); }
    },
  };
}
