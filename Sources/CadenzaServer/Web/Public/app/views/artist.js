import { api } from '../api.js';
import { html } from '../html.js';
import { albumGrid, errorMessage } from '../components.js';

export const title = 'Artist';

export async function render(main, { id }) {
  try {
    const { artist, albums } = await api(`/api/v1/artists/${encodeURIComponent(id)}`);
    document.title = `${artist.name} – Cadenza`;
    main.innerHTML = html`<h1>${artist.name}</h1><p class="muted">${artist.albumCount} albums · ${artist.trackCount} tracks</p>${albumGrid(albums)}`.text;
  } catch (error) {
    main.innerHTML = html`<h1>Artist</h1>${errorMessage(error)}`.text;
  }
}
