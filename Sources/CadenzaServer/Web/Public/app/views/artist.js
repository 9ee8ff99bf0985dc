import { api } from '../api.js';
import { html } from '../html.js';
import { albumGrid, errorMessage, act, resolveItem, icon, cover, placeholderArt } from '../components.js';
import { ratingControl, wireRatings } from '../rating.js';

export const title = 'Artist';

export async function render(main, { id }) {
  try {
    const { artist, albums } = await api(`/api/v1/artists/${encodeURIComponent(id)}`);
    document.title = `${artist.name} – Cadenza`;
    // Their albums, then compilations, then albums of others they appear on (newest first in each).
    const byYear = (a, b) => (b.year || 0) - (a.year || 0);
    const own = albums.filter((a) => a.artist?.id === artist.id);
    const groups = [
      ['Albums', own.filter((a) => !a.compilation).sort(byYear)],
      ['Compilations', albums.filter((a) => a.compilation).sort(byYear)],
      ['Appears on', albums.filter((a) => a.artist?.id !== artist.id && !a.compilation).sort(byYear)],
    ].filter(([, list], i) => i === 0 || list.length);
    // The artist's picture: their own artwork when the library has one, else their initials.
    const picture = artist.artworkId ? cover({ ...artist, title: artist.name }, 600, 'art round') : placeholderArt(artist.name, 'art round');
    main.innerHTML = html`<header class="hero">${picture}<div>
      <p class="kind">Artist</p><h1>${artist.name}</h1>
      <p class="facts"><span>${artist.albumCount} albums</span><span>${artist.trackCount} tracks</span></p>
      <p class="hero-actions"><button type="button" data-artist-act="now" id="artist-play" class="primary">${icon('play')} Play all</button>
        <button type="button" id="star-artist" aria-pressed="false">☆ Star artist</button>
        <button type="button" data-artist-act="next" id="artist-next" class="ghost">${icon('play-next')} Play next</button>
        <button type="button" data-artist-act="queue" id="artist-queue" class="ghost">${icon('queue')} Add to queue</button>
        <button type="button" data-artist-act="playlist" id="artist-list" class="ghost">${icon('list-add')} Add to a playlist</button></p>
      <p class="rate-line"><span aria-hidden="true">Your rating</span> ${ratingControl('artist', artist.id, artist.name)}</p>
      </div></header>
      ${groups.map(([heading, list]) => html`<section aria-label="${heading}"><h2>${heading}</h2>${albumGrid(list)}</section>`)}`.text;
    wireRatings(main);
    // The artist's tracks are fetched album by album on the first press, then kept.
    let tracks = null;
    main.querySelector('.hero-actions').addEventListener('click', async (event) => {
      const what = event.target.closest('[data-artist-act]')?.dataset.artistAct;
      if (!what) return;
      try { tracks ??= resolveItem(`artist:${artist.id}`); await act(await tracks, what); }
      catch (error) { tracks = null; window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
    });
    const star = main.querySelector('#star-artist');
    const show = (on) => { star.setAttribute('aria-pressed', String(on)); star.textContent = on ? '★ Starred' : '☆ Star artist'; };
    star.addEventListener('click', async () => {
      const on = star.getAttribute('aria-pressed') !== 'true';
      try { await api(`/api/v1/stars/artist/${encodeURIComponent(artist.id)}`, { method: on ? 'PUT' : 'DELETE' }); show(on); }
      catch (error) { window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
    });
    api('/api/v1/stars').then((starred) => show(starred.artists.some((a) => a.id === artist.id)))
      .catch((error) => window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })));
  } catch (error) {
    main.innerHTML = html`<h1>Artist</h1>${errorMessage(error)}`.text;
  }
}
