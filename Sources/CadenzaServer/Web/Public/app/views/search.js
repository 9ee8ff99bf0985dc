import { api } from '../api.js';
import { html } from '../html.js';
import { albumGrid, trackTable, wireTracks, errorMessage, itemActions } from '../components.js';

export const title = (params) => (params.query.get('q') ? `Search: ${params.query.get('q')}` : 'Search');

export async function render(main, { query }) {
  const q = query.get('q') || '';
  if (!q) {
    // The Search tab: the box is at the top of every page; this puts the cursor in it.
    main.innerHTML = html`<h1>Search</h1><p class="muted">Find artists, albums, tracks and playlists: type in the search box above (or press /).</p>`.text;
    document.getElementById('search').focus();
    return;
  }
  main.innerHTML = html`<h1>Results for “${q}”</h1><div id="results">Searching…</div>`.text;
  try {
    const result = await api(`/api/v1/search?q=${encodeURIComponent(q)}`);
    const box = main.querySelector('#results');
    box.innerHTML = html`
      <h2>Artists</h2>${result.artists.length ? html`<ul class="plain">${result.artists.map((a) => html`<li><a href="#/artists/${a.id}">${a.name}</a> ${itemActions('artist', a.id, a.name, ['now'])}</li>`)}</ul>` : html`<p class="muted">None.</p>`}
      <h2>Albums</h2>${albumGrid(result.albums)}
      <h2>Tracks</h2>${result.tracks.length ? trackTable(result.tracks, { numbers: false }) : html`<p class="muted">None.</p>`}
      <h2>Playlists</h2>${result.playlists?.length ? html`<ul class="plain" id="found-playlists">${result.playlists.map((p) => html`<li>
        <a href="#/playlists/${p.id}">${p.name}</a> <span class="muted">${p.trackCount} tracks${p.mine ? '' : ` · by ${p.owner}`}</span> ${itemActions('playlist', p.id, p.name, ['now'])}</li>`)}</ul>`
        : html`<p class="muted">None.</p>`}`.text;
    const table = box.querySelector('table');
    if (table) wireTracks(table, result.tracks);
  } catch (error) {
    main.querySelector('#results').innerHTML = errorMessage(error).text;
  }
}
