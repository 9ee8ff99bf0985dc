import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { albumGrid, cover, errorMessage, itemActions, placeholderArt, trackTable, wireTracks, markStars } from '../components.js';
import { ago } from '../format.js';

export const title = 'Home';

// A listen names its library track only when it was matched and the reader may see it.
const actions = (listen, name) => (listen.cadenza_track_id ? itemActions('track', listen.cadenza_track_id, name) : '');

/// Cards of recommended albums, each saying why ("Because you played …").
const picksGrid = (items) => html`<ul class="grid">${items.map(({ album: a, why }) => html`
  <li class="card" data-menu-host>
    <a href="#/albums/${a.id}"><span class="art">${cover(a, 300)}</span><span class="name">${a.title}</span></a>
    <span class="sub">${a.artist ? a.artist.name : ''}</span><span class="sub why">${why.text}</span>
    ${itemActions('album', a.id, a.title, undefined, { card: true })}
  </li>`)}</ul>`;

export async function render(main) {
  main.innerHTML = html`<h1>Welcome, ${store.state.me?.username || ''}</h1>
    <section class="shelf" aria-labelledby="made-h"><h2 id="made-h">Made for you</h2><div id="made">Loading…</div></section>
    <section class="shelf" aria-labelledby="foryou-h"><h2 id="foryou-h">Recommended albums</h2><div id="foryou">Loading…</div></section>
    <section aria-labelledby="like-h"><h2 id="like-h">Artists you might like</h2><div id="like">Loading…</div></section>
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
    fill('#made', async () => {
      const made = (await api('/api/v1/discovery/playlists')).items;
      if (!made.length) return html`<p class="muted">Your Daily Mix and Weekly Exploration appear here once you have played a few songs.</p>`;
      return html`<ul class="grid">${made.map((m) => html`<li class="card" data-menu-host>
        <a href="#/playlists/${m.playlist.id}"><span class="art">${placeholderArt(m.name)}</span><span class="name">${m.name}</span></a>
        <span class="sub">${m.playlist.trackCount} tracks</span>
        ${itemActions('playlist', m.playlist.id, m.name, ['now', 'next', 'queue'], { card: true })}</li>`)}</ul>`;
    }),
    fill('#foryou', async () => {
      const picks = (await api('/api/v1/discovery/recommendations/albums?limit=12')).items;
      return picks.length ? picksGrid(picks) : html`<p class="muted">Nothing to recommend yet.</p>`;
    }),
    fill('#like', async () => {
      const picks = (await api('/api/v1/discovery/recommendations/artists?limit=8')).items;
      if (!picks.length) return html`<p class="muted">Nothing to recommend yet.</p>`;
      return html`<ul class="plain" id="like-list">${picks.map(({ artist: a, why }) => html`<li><a href="#/artists/${a.id}">${a.name}</a>
        <span class="muted">— ${why.text}</span> ${itemActions('artist', a.id, a.name, ['now', 'mix'])}</li>`)}</ul>`;
    }),
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
