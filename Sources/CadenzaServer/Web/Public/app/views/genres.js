import { api } from '../api.js';
import { html } from '../html.js';
import { errorMessage } from '../components.js';

export const title = 'Genres';

export async function render(main) {
  main.innerHTML = html`<h1>Genres</h1><ul class="columns" id="genres">Loading…</ul>`.text;
  try {
    const genres = await api('/api/v1/genres');
    main.querySelector('#genres').innerHTML = genres.length ? genres.map((g) => html`<li><a href="#/albums?genre=${encodeURIComponent(g.name)}">${g.name}</a>
      <span class="muted">${g.albumCount} albums · ${g.trackCount} tracks</span></li>`.text).join('') : html`<li class="muted">No genres yet.</li>`.text;
  } catch (error) {
    main.querySelector('#genres').innerHTML = errorMessage(error).text;
  }
}
