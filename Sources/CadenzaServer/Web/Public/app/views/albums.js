import { api } from '../api.js';
import { html } from '../html.js';
import { albumGrid, errorMessage } from '../components.js';

export const title = 'Albums';
const PAGE = 48;

export async function render(main, { query }) {
  const sort = ['name', 'recent', 'year', 'artist', 'random'].includes(query.get('sort')) ? query.get('sort') : 'name';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const genre = query.get('genre') || '';
  const extra = genre ? `&genre=${encodeURIComponent(genre)}` : '';
  main.innerHTML = html`<h1>${genre ? `Albums: ${genre}` : 'Albums'}</h1>
    <nav aria-label="Sort albums" class="chips">${['name', 'recent', 'year', 'artist', 'random'].map((s) =>
      html`<a href="#/albums?sort=${s}${extra}" ${s === sort ? html`aria-current="true"` : ''}>${s}</a>`)}</nav>
    <div id="albums">Loading…</div>`.text;
  try {
    const page = await api(`/api/v1/albums?sort=${sort}&limit=${PAGE}&offset=${offset}${extra}`);
    main.querySelector('#albums').innerHTML = html`${albumGrid(page.items)}
      <nav aria-label="Pages" class="pager">
        ${offset > 0 ? html`<a href="#/albums?sort=${sort}${extra}&offset=${Math.max(0, offset - PAGE)}">Previous page</a>` : ''}
        ${page.items.length === PAGE ? html`<a href="#/albums?sort=${sort}${extra}&offset=${offset + PAGE}">Next page</a>` : ''}
      </nav>`.text;
  } catch (error) {
    main.querySelector('#albums').innerHTML = errorMessage(error).text;
  }
}
