import { api } from '../api.js';
import { html } from '../html.js';
import { errorMessage, itemActions } from '../components.js';

export const title = 'Artists';

export async function render(main, { query }) {
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  main.innerHTML = html`<h1>Artists</h1><div id="artists">Loading…</div>`.text;
  try {
    const page = await api(`/api/v1/artists?limit=200&offset=${offset}`);
    main.querySelector('#artists').innerHTML = html`<ul class="columns">${page.items.map((a) =>
      html`<li><a href="#/artists/${a.id}">${a.name}</a> <span class="muted">${a.albumCount} albums</span> ${itemActions('artist', a.id, a.name, ['now'])}</li>`)}</ul>
      ${page.items.length === 200 ? html`<a href="#/artists?offset=${offset + 200}">More artists</a>` : ''}`.text;
  } catch (error) {
    main.querySelector('#artists').innerHTML = errorMessage(error).text;
  }
}
