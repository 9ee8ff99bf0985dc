import { api, artwork } from '../api.js';
import { html } from '../html.js';
import { trackTable, wireTracks, errorMessage } from '../components.js';
import { duration } from '../format.js';

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
          <button type="button" id="play-all">Play album</button>
          <button type="button" id="queue-all">Add album to queue</button>
        </div>
      </div>
      ${trackTable(tracks)}`.text;
    wireTracks(main.querySelector('table'), tracks);
    main.querySelector('#play-all').addEventListener('click', () => window.dispatchEvent(new CustomEvent('cz-play', { detail: { tracks, mode: 'now' } })));
    main.querySelector('#queue-all').addEventListener('click', () => window.dispatchEvent(new CustomEvent('cz-play', { detail: { tracks, mode: 'queue' } })));
  } catch (error) {
    main.innerHTML = html`<h1>Album</h1>${errorMessage(error)}`.text;
  }
}
