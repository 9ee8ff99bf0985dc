import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { albumGrid, errorMessage, itemActions, trackTable, wireTracks, markStars } from '../components.js';
import { ago } from '../format.js';

export const title = 'Home';

// A listen names its library track only when it was matched and the reader may see it.
const actions = (listen, name) => (listen.cadenza_track_id ? itemActions('track', listen.cadenza_track_id, name) : '');

export async function render(main) {
  main.innerHTML = html`<h1>Welcome, ${store.state.me?.username || ''}</h1>
    <section class="shelf" aria-labelledby="recent-h"><h2 id="recent-h">Recently added</h2><div id="recent">Loading…</div></section>
    <section aria-labelledby="played-h"><h2 id="played-h">Recently played</h2><div id="played">Loading…</div></section>
    <section aria-labelledby="most-h"><h2 id="most-h">Most played</h2><div id="most">Loading…</div></section>
    <section aria-labelledby="starred-h"><h2 id="starred-h">Starred</h2><div id="starred">Loading…</div></section>
    <section class="shelf" aria-labelledby="random-h"><h2 id="random-h">Random albums</h2><div id="random">Loading…</div></section>`.text;
  const fill = async (id, load) => {
    try { main.querySelector(id).innerHTML = (await load()).text; } catch (error) { main.querySelector(id).innerHTML = errorMessage(error).text; }
    // The first section with content is what the "first content under a second" requirement measures.
    if (!performance.getEntriesByName('cadenza:first-content').length) performance.mark('cadenza:first-content');
  };
  let starred = null;
  await Promise.all([
    fill('#recent', async () => albumGrid((await api('/api/v1/albums?sort=recent&limit=12')).items)),
    fill('#random', async () => albumGrid((await api('/api/v1/albums?sort=random&limit=12')).items)),
    fill('#most', async () => {
      const name = encodeURIComponent(store.state.me.username);
      const top = (await api(`/1/stats/user/${name}/recordings?range=all_time&count=10`)).payload.recordings;
      if (!top.length) return html`<p class="muted">Nothing yet.</p>`;
      return html`<ol class="plain">${top.map((r) => html`<li>${r.track_name} <span class="muted">— ${r.artist_name} · ${r.listen_count} plays</span></li>`)}</ol>`;
    }),
    fill('#starred', async () => {
      starred = await api('/api/v1/stars');
      const artists = starred.artists || [];
      if (!starred.tracks.length && !starred.albums.length && !artists.length) return html`<p class="muted">Star artists, albums and tracks to find them here.</p>`;
      return html`${artists.length ? html`<ul class="plain" id="starred-artists">${artists.map((a) => html`<li>★ <a href="#/artists/${a.id}">${a.name}</a>
        <span class="muted">artist · ${a.albumCount} albums</span> ${itemActions('artist', a.id, a.name, ['now'])}</li>`)}</ul>` : ''}
        ${starred.albums.length ? albumGrid(starred.albums) : ''}
        ${starred.tracks.length ? html`<div id="starred-tracks">${trackTable(starred.tracks, { numbers: false })}</div>` : ''}`;
    }),
    fill('#played', async () => {
      const name = encodeURIComponent(store.state.me.username);
      const listens = (await api(`/1/user/${name}/listens?count=10`)).payload.listens;
      if (!listens.length) return html`<p class="muted">Nothing yet: play something.</p>`;
      return html`<ul class="plain">${listens.map((l) => html`<li>${l.track_metadata.track_name} <span class="muted">— ${l.track_metadata.artist_name}, ${ago(l.listened_at)}</span>
        ${actions(l, l.track_metadata.track_name)}</li>`)}</ul>`;
    }),
  ]);
  const table = main.querySelector('#starred-tracks');
  if (table) { wireTracks(table, starred.tracks); markStars(table, starred.tracks, starred); }
}
