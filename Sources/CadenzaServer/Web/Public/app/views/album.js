import { api, artwork } from '../api.js';
import { html } from '../html.js';
import { trackTable, wireTracks, errorMessage, markStars, act, icon, placeholderArt } from '../components.js';
import { duration, shuffled } from '../format.js';
import { ratingControl, wireRatings } from '../rating.js';

export const title = 'Album';

export async function render(main, { id }) {
  try {
    const { album, tracks } = await api(`/api/v1/albums/${encodeURIComponent(id)}`);
    document.title = `${album.title} – Cadenza`;
    const genre = tracks.find((t) => t.genre)?.genre;
    main.innerHTML = html`
      <header class="hero">
        ${album.artworkId ? html`<img src="${artwork(album.artworkId, 600)}" alt="Cover of ${album.title}" width="232" height="232">` : placeholderArt(album.title, 'art')}
        <div>
          <p class="kind">${album.compilation ? 'Compilation' : 'Album'}</p>
          <h1>${album.title}</h1>
          <p class="facts">${album.artist ? html`<a href="#/artists/${album.artist.id}">${album.artist.name}</a>` : ''}${album.year ? html`<span>${album.year}</span>` : ''}${genre ? html`<a href="#/albums?genre=${encodeURIComponent(genre)}">${genre}</a>` : ''}<span>${tracks.length} tracks</span><span>${duration(album.durationMs)}</span></p>
          <p class="hero-actions"><button type="button" id="play-all" class="primary">${icon('play')} Play</button>
          <button type="button" id="shuffle-all">${icon('shuffle')} Shuffle</button>
          <button type="button" id="star-album" aria-pressed="false">☆ Star album</button>
          <button type="button" id="next-all" class="ghost">${icon('play-next')} Play next</button>
          <button type="button" id="queue-all" class="ghost">${icon('queue')} Add to queue</button>
          <button type="button" id="list-all" class="ghost">${icon('list-add')} Add to a playlist</button></p>
          <p class="rate-line"><span aria-hidden="true">Your rating</span> ${ratingControl('album', album.id, album.title)}</p>
        </div>
      </header>
      ${trackTable(tracks, { rate: true, plays: true })}`.text;
    wireRatings(main);
    wireTracks(main.querySelector('table'), tracks);
    for (const [button, what] of [['#play-all', 'now'], ['#next-all', 'next'], ['#queue-all', 'queue'], ['#list-all', 'playlist']]) {
      main.querySelector(button).addEventListener('click', () => act(tracks, what));
    }
    main.querySelector('#shuffle-all').addEventListener('click', () => act(shuffled(tracks), 'now'));
    const starred = await api('/api/v1/stars');
    markStars(main, tracks, starred);
    const albumStar = main.querySelector('#star-album');
    const showAlbum = (on) => { albumStar.setAttribute('aria-pressed', String(on)); albumStar.textContent = on ? '★ Starred' : '☆ Star album'; };
    showAlbum(starred.albums.some((a) => a.id === album.id));
    albumStar.addEventListener('click', async () => {
      const on = albumStar.getAttribute('aria-pressed') !== 'true';
      try { await api(`/api/v1/stars/album/${encodeURIComponent(album.id)}`, { method: on ? 'PUT' : 'DELETE' }); showAlbum(on); }
      catch (error) { window.dispatchEvent(new CustomEvent('cz-toast', { detail: error.message })); }
    });
  } catch (error) {
    main.innerHTML = html`<h1>Album</h1>${errorMessage(error)}`.text;
  }
}
