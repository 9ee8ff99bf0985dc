import { api } from '../api.js';
import { html } from '../html.js';
import { albumGrid, errorMessage, act, resolveItem, icon, cover, instantMix, itemActions, placeholderArt, trackTable, wireTracks, markStars } from '../components.js';
import { ratingControl, wireRatings } from '../rating.js';

export const title = 'Artist';

/// Where an album goes on its artist's page, first match wins: the artist's own releases by
/// their MusicBrainz types (secondary types such as live outrank the primary one).
const own = (test) => (album, artist) => album.artist?.id === artist.id && !album.compilation && test(album.releaseTypes || []);
const RELEASE_GROUPS = [
  ['Albums', own((types) => !types.some((t) => t !== 'album'))],
  ['Live', own((types) => types.includes('live'))],
  ['Soundtracks', own((types) => types.includes('soundtrack'))],
  ['Remixes', own((types) => types.includes('remix') || types.includes('dj-mix'))],
  ['EPs', own((types) => types[0] === 'ep')],
  ['Singles', own((types) => types[0] === 'single')],
  ['Compilations', (album) => album.compilation || (album.releaseTypes || []).includes('compilation')],
  ['Other releases', own(() => true)],
  ['Appears on', () => true],
];

export async function render(main, { id }) {
  try {
    const { artist, albums, topTracks = [] } = await api(`/api/v1/artists/${encodeURIComponent(id)}`);
    document.title = `${artist.name} – Cadenza`;
    // Their releases by MusicBrainz type (untagged ones count as albums), then compilations,
    // then albums of others they appear on; newest first in each.
    const byYear = (a, b) => (b.year || 0) - (a.year || 0);
    const groups = RELEASE_GROUPS.map(([heading]) => [heading, []]);
    for (const album of albums) groups[RELEASE_GROUPS.findIndex(([, test]) => test(album, artist))][1].push(album);
    for (const [, list] of groups) list.sort(byYear);
    const shown = groups.filter(([, list], i) => i === 0 || list.length);
    // The artist's picture: their own artwork when the library has one, else their initials.
    const picture = artist.artworkId ? cover({ ...artist, title: artist.name }, 600, 'art round') : placeholderArt(artist.name, 'art round');
    main.innerHTML = html`<header class="hero">${picture}<div>
      <p class="kind">Artist</p><h1>${artist.name}</h1>
      <p class="facts"><span>${artist.albumCount} albums</span><span>${artist.trackCount} tracks</span></p>
      <p class="hero-actions"><button type="button" data-artist-act="now" id="artist-play" class="primary">${icon('play')} Play all</button>
        <button type="button" id="star-artist" aria-pressed="false">☆ Star artist</button>
        <button type="button" data-artist-act="next" id="artist-next" class="ghost">${icon('play-next')} Play next</button>
        <button type="button" data-artist-act="queue" id="artist-queue" class="ghost">${icon('queue')} Add to queue</button>
        <button type="button" data-artist-act="playlist" id="artist-list" class="ghost">${icon('list-add')} Add to a playlist</button>
        <button type="button" data-artist-act="mix" id="artist-mix" class="ghost">${icon('radio')} Instant mix</button></p>
      <p class="rate-line"><span aria-hidden="true">Your rating</span> ${ratingControl('artist', artist.id, artist.name)}</p>
      </div></header>
      ${topTracks.length ? html`<section aria-label="Popular" id="popular"><h2>Popular</h2>${trackTable(topTracks, { numbers: false })}
        ${topTracks.length > 5 ? html`<p><button type="button" class="ghost" id="popular-more" aria-expanded="false">Show more</button></p>` : ''}</section>` : ''}
      ${shown.map(([heading, list]) => html`<section aria-label="${heading}"><h2>${heading}</h2>${albumGrid(list)}</section>`)}
      <section aria-labelledby="similar-h" id="similar"><h2 id="similar-h">Similar artists</h2><p class="muted">Loading…</p></section>`.text;
    wireRatings(main);
    const popular = main.querySelector('#popular');
    if (popular) {
      wireTracks(popular.querySelector('table'), topTracks);
      const more = popular.querySelector('#popular-more');
      const fold = (open) => popular.querySelectorAll('tbody tr').forEach((row, i) => { row.hidden = !open && i >= 5; });
      fold(false);
      more?.addEventListener('click', () => {
        const open = more.getAttribute('aria-expanded') !== 'true';
        more.setAttribute('aria-expanded', String(open));
        more.textContent = open ? 'Show less' : 'Show more';
        fold(open);
      });
    }
    // The artist's tracks are fetched album by album on the first press, then kept.
    let tracks = null;
    main.querySelector('.hero-actions').addEventListener('click', async (event) => {
      const what = event.target.closest('[data-artist-act]')?.dataset.artistAct;
      if (!what) return;
      try {
        if (what === 'mix') { await act(await instantMix('artist', artist.id), 'now'); return; }
        tracks ??= resolveItem(`artist:${artist.id}`); await act(await tracks, what);
      } catch (error) { tracks = null; window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
    });
    const star = main.querySelector('#star-artist');
    const show = (on) => { star.setAttribute('aria-pressed', String(on)); star.textContent = on ? '★ Starred' : '☆ Star artist'; };
    star.addEventListener('click', async () => {
      const on = star.getAttribute('aria-pressed') !== 'true';
      try { await api(`/api/v1/stars/artist/${encodeURIComponent(artist.id)}`, { method: on ? 'PUT' : 'DELETE' }); show(on); }
      catch (error) { window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
    });
    // Who people here play alongside this artist (shared genres when listens are few).
    const similar = main.querySelector('#similar');
    api(`/api/v1/discovery/artists/${encodeURIComponent(artist.id)}/similar?limit=8`).then(({ items }) => {
      if (!similar.isConnected) return;   // the page was left meanwhile
      similar.innerHTML = html`<h2 id="similar-h">Similar artists</h2>${items.length
        ? html`<ul class="plain" id="similar-list">${items.map((a) => html`<li><a href="#/artists/${a.id}">${a.name}</a>
          <span class="muted">${a.albumCount} albums</span> ${itemActions('artist', a.id, a.name, ['now', 'mix'])}</li>`)}</ul>`
        : html`<p class="muted">None yet.</p>`}`.text;
    }).catch((error) => { if (similar.isConnected) similar.innerHTML = errorMessage(error).text; });
    api('/api/v1/stars').then((starred) => {
      show(starred.artists.some((a) => a.id === artist.id));
      if (popular) markStars(popular, topTracks, starred);
    })
      .catch((error) => window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })));
  } catch (error) {
    main.innerHTML = html`<h1>Artist</h1>${errorMessage(error)}`.text;
  }
}
