import { api } from '../api.js';
import { html } from '../html.js';
import { errorMessage, itemActions } from '../components.js';

export const title = 'Playlists';

export async function render(main) {
  main.innerHTML = html`<h1>Playlists</h1>
    <form id="new-playlist"><label for="pl-name">New playlist</label> <input id="pl-name" required maxlength="200">
      <label><input type="checkbox" id="pl-public"> Public</label> <button type="submit">Create</button></form>
    <ul class="plain" id="playlists">Loading…</ul><p id="pl-status" role="status"></p>`.text;
  const load = async () => {
    const lists = await api('/api/v1/playlists');
    main.querySelector('#playlists').innerHTML = lists.length ? lists.map((p) => html`<li><a href="#/playlists/${p.id}">${p.name}</a>
      <span class="muted">${p.trackCount} tracks · ${p.isPublic ? 'public' : 'private'}${p.mine ? '' : ` · by ${p.owner}`}</span>
      ${itemActions('playlist', p.id, p.name, ['now', 'queue'])}</li>`.text).join('')
      : html`<li class="muted">No playlists yet.</li>`.text;
  };
  try { await load(); } catch (error) { main.querySelector('#playlists').innerHTML = errorMessage(error).text; }
  main.querySelector('#new-playlist').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('/api/v1/playlists', { method: 'POST', body: { name: main.querySelector('#pl-name').value, isPublic: main.querySelector('#pl-public').checked } });
      event.target.reset();
      await load();
    } catch (error) { main.querySelector('#pl-status').textContent = error.message; }
  });
}
