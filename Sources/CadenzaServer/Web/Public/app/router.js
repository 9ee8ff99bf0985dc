import { store } from './store.js';
import { html } from './html.js';

// Hash routes → lazily imported view modules. Each view exports `title` (string or function of
// params) and `render(main, params)`, which may return a cleanup function.
const routes = [
  [/^\/$/, () => import('./views/home.js')],
  [/^\/albums$/, () => import('./views/albums.js')],
  [/^\/albums\/(?<id>\d+)$/, () => import('./views/album.js')],
  [/^\/artists$/, () => import('./views/artists.js')],
  [/^\/genres$/, () => import('./views/genres.js')],
  [/^\/artists\/(?<id>\d+)$/, () => import('./views/artist.js')],
  [/^\/search$/, () => import('./views/search.js')],
  [/^\/history$/, () => import('./views/history.js')],
  [/^\/settings$/, () => import('./views/settings.js')],
  [/^\/stats$/, () => import('./views/stats.js')],
  [/^\/playlists$/, () => import('./views/playlists.js')],
  [/^\/playlists\/(?<id>\d+)$/, () => import('./views/playlist.js')],
  [/^\/upload$/, () => import('./views/upload.js')],
  [/^\/admin$/, () => import('./views/admin.js')],
  [/^\/login$/, () => import('./views/login.js')],
  [/^\/join\/(?<token>[A-Za-z0-9_~.-]+)$/, () => import('./views/join.js')],
];

let cleanup = null;

export function currentPath() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  return { path, query: new URLSearchParams(query) };
}

export function go(path) {
  if (location.hash !== '#' + path) location.hash = path; else route();
}

// Each page gets a fresh <main> (same id and attributes): the listeners a view put on it go with it.
function freshMain() {
  const old = document.getElementById('main');
  const main = old.cloneNode(false);
  old.replaceWith(main);
  return main;
}

export async function route() {
  let main = document.getElementById('main');
  let { path, query } = currentPath();
  if (!store.state.me && path !== '/login' && !path.startsWith('/join/')) path = '/login';
  const match = routes.map(([pattern, load]) => [path.match(pattern), load]).find(([m]) => m);
  if (cleanup) { try { cleanup(); } catch { /* a view's teardown must not block the next */ } cleanup = null; }
  document.documentElement.removeAttribute('data-route');
  if (!match) {
    main = freshMain();
    main.innerHTML = html`<h1>Not found</h1><p>There is no page at ${path}.</p>`.text;
    document.title = 'Not found – Cadenza';
  } else {
    const [m, load] = match;
    try {
      const view = await load();
      const params = { ...(m.groups || {}), query };
      main = freshMain();
      cleanup = (await view.render(main, params)) || null;
      const title = typeof view.title === 'function' ? view.title(params) : view.title;
      document.title = `${title} – Cadenza`;
    } catch (error) {
      main.innerHTML = html`<h1>Something went wrong</h1><p class="error">${error.message}</p>`.text;
    }
  }
  document.querySelectorAll('nav a').forEach((a) => {
    if (a.getAttribute('href') === '#' + path) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  main.focus({ preventScroll: true });
  document.documentElement.setAttribute('data-route', path);
}
