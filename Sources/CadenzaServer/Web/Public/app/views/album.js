import { api, artwork } from '../api.js';
import { html } from '../html.js';
import { trackTable, wireTracks, errorMessage, markStars, act } from '../components.js';
import { duration } from '../format.js';
import { ratingControl, wireRatings } from '../rating.js';

export const title = 'Album';

export async function render(main, { id }) {
  try {
    const { album, tracks } = await api(`/api/v1/albums/${encodeURIComponent(id)}`);
    document.title = `${album.title} – Cadenza`;
    main.innerHTML = html`
      <div class="hero">
        ${album.artworkId ? html`<img src="${artwork(album.artworkId, 300)}" alt="Cover of ${album.title}" width="200" height="200">` : ''}
        <div>
          <h1>${album.title}</h1>
          <p>${album.artist ? html`<a href="#/artists/${album.artist.id}">${album.artist.name}</a>` : ''}
             ${album.year ? ` · ${album.year}` : ''} · ${tracks.length} tracks · ${duration(album.durationMs)}</p>
          <p class="hero-actions"><button type="button" id="play-all">Play album</button>
          <button type="button" id="next-all">Play album next</button>
          <button type="button" id="queue-all">Add album to queue</button>
          <button type="button" id="list-all">Add album to a playlist</button>
          <button type="button" id="star-album" aria-pressed="false">☆ Star album</button></p>
          <p class="rate-line"><span aria-hidden="true">Your rating</span> ${ratingControl('album', album.id, album.title)}</p>
        </div>
      </div>
      ${trackTable(tracks, { rate: true })}`.text;
    wireRatings(main);
    wireTracks(main.querySelector('table'), tracks);
    for (const [button, what] of [['#play-all', 'now'], ['#next-all', 'next'], ['#queue-all', 'queue'], ['#list-all', 'playlist']]) {
      main.querySelector(button).addEventListener('click', () => act(tracks, what));
    }
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
