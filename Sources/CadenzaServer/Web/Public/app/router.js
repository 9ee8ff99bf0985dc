import { store } from './store.js';
import { html } from './html.js';
import { reachable, lostConnection } from './api.js';

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
  [/^\/notifications$/, () => import('./views/notifications.js')],
  [/^\/federation$/, () => import('./views/federation.js')],
  [/^\/stats$/, () => import('./views/stats.js')],
  [/^\/playlists$/, () => import('./views/playlists.js')],
  [/^\/playlists\/(?<id>\d+)$/, () => import('./views/playlist.js')],
  [/^\/upload$/, () => import('./views/upload.js')],
  [/^\/radio$/, () => import('./views/radio.js')],
  [/^\/radio\/(?<slug>[a-z0-9][a-z0-9-]{1,39})$/, () => import('./views/station.js')],
  [/^\/party$/, () => import('./views/party.js')],
  [/^\/party\/(?<slug>[a-z0-9][a-z0-9-]{1,39})$/, () => import('./views/party.js')],
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

/// `replace` swaps the current history entry (search as you type: one entry, not one per pause).
export function go(path, { replace = false } = {}) {
  if (location.hash === '#' + path) route();
  else if (replace) { history.replaceState(history.state, '', '#' + path); route(); }
  else location.hash = path;
}

// Each page gets a fresh <main> (same id and attributes): the listeners a view put on it go with it.
function freshMain() {
  const old = document.getElementById('main');
  const main = old.cloneNode(false);
  old.replaceWith(main);
  document.querySelector('.content')?.scrollTo(0, 0);   // a new page starts at its top
  return main;
}

let latest = 0;
let offlinePage = false;
// A page whose module could not be fetched while offline opens by itself once the server is back.
store.addEventListener('change', (event) => {
  if (event.detail.online && offlinePage) route();
});

export async function route() {
  const seq = ++latest;
  let main = document.getElementById('main');
  let { path, query } = currentPath();
  // Invites, party rooms and station pages open signed out: a guest joins a room by name, and
  // a public station's page is its public player (the station decides who may hear it).
  if (!store.state.me && path !== '/login' && !/^\/(join|party|radio)\/./.test(path)) path = '/login';
  const match = routes.map(([pattern, load]) => [path.match(pattern), load]).find(([m]) => m);
  if (cleanup) { try { cleanup(); } catch { /* a view's teardown must not block the next */ } cleanup = null; }
  document.documentElement.removeAttribute('data-route');
  offlinePage = false;
  if (!match) {
    main = freshMain();
    main.innerHTML = html`<h1>Not found</h1><p>There is no page at ${path}.</p>`.text;
    document.title = 'Not found – Cadenza';
  } else {
    const [m, load] = match;
    let view;
    try {
      view = await load();
    } catch (error) {
      if (seq !== latest) return;
      const online = await reachable();
      if (seq !== latest) return;   // a newer route has started while we asked
      main = freshMain();
      if (!online) {
        lostConnection();
        offlinePage = true;
        main.innerHTML = html`<h1>Not available offline</h1><p>This page cannot be opened while the server cannot be reached. It opens by itself once the connection is back.</p>`.text;
      } else {
        main.innerHTML = html`<h1>Something went wrong</h1><p class="error">This page could not be loaded: ${error.message}</p>`.text;
      }
    }
    if (seq !== latest) return;   // a newer route has started meanwhile
    if (view) {
      const params = { ...(m.groups || {}), query };
      main = freshMain();
      // The generic title first: a view that knows a better one (an album's name) sets it while rendering.
      const title = typeof view.title === 'function' ? view.title(params) : view.title;
      document.title = `${title} – Cadenza`;
      try {
        const done = (await view.render(main, params)) || null;
        if (seq !== latest) { try { done?.(); } catch { /* stale view */ } return; }
        cleanup = done;
      } catch (error) {
        if (seq !== latest) return;
        main.innerHTML = html`<h1>Something went wrong</h1><p class="error">${error.message}</p>`.text;
      }
    }
  }
  const section = '#/' + (path.split('/')[1] || '');
  document.querySelectorAll('nav a').forEach((a) => {
    const href = a.getAttribute('href');
    if (href === '#' + path) a.setAttribute('aria-current', 'page');
    // A page inside a section (an album, an artist) marks its section.
    else if (href === section && href !== '#/') a.setAttribute('aria-current', 'true');
    else a.removeAttribute('aria-current');
  });
  // Typing in the search box re-routes on every pause: the focus stays in the box.
  if (document.activeElement?.id !== 'search') main.focus({ preventScroll: true });
  document.documentElement.setAttribute('data-route', path);
}
