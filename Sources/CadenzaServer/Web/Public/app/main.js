import { api, connectEvents, disconnectEvents } from './api.js';
import { store } from './store.js';
import { route, go, currentPath } from './router.js';
import './player.js';

function toast(message) {
  const box = document.getElementById('toast');
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ''; }, 4000);
}
window.addEventListener('cz-toast', (event) => toast(event.detail));

// Whatever no code caught is said in words; while offline the banner already says it.
const uncaught = (error) => {
  if (error?.status === 0 || !store.state.online) return;
  toast(`Something went wrong: ${error?.message || error || 'an unknown error'}`);
};
window.addEventListener('unhandledrejection', (event) => uncaught(event.reason));
window.addEventListener('error', (event) => uncaught(event.error || event.message));

store.addEventListener('change', (event) => {
  if ('online' in event.detail) {
    const banner = document.getElementById('banner');
    banner.hidden = store.state.online;
    banner.textContent = store.state.online ? '' : 'The server cannot be reached. Cadenza will reconnect by itself.';
  }
  if ('unread' in event.detail) {
    const badge = document.getElementById('bell-count');
    const n = store.state.unread || 0;
    badge.hidden = n === 0;
    badge.textContent = n > 99 ? '99+' : String(n);
    document.getElementById('bell').setAttribute('aria-label', n ? `Notifications, ${n} unread` : 'Notifications');
  }
  if ('me' in event.detail) {
    if (store.state.me) api('/api/v1/notifications/unread').then((r) => store.set({ unread: r.unread })).catch(() => {});
    if (store.state.me) loadRemoteLibraries();
    document.body.classList.toggle('signed-out', !store.state.me);
    document.body.classList.toggle('admin', store.state.me?.role === 'admin');
    if (store.state.me) connectEvents(); else { disconnectEvents(); go('/login'); }
  }
});

// Libraries mirrored from other servers: their tracks are marked as remote.
function loadRemoteLibraries() {
  api('/api/v1/libraries').then((libraries) => store.set({
    remoteLibraries: libraries.filter((l) => l.kind === 'remote').map((l) => String(l.id)) })).catch(() => {});
}

// The bell follows the inbox live: each new notification carries the unread count.
store.addEventListener('event', (event) => {
  if (event.detail.type === 'notification.created') store.set({ unread: event.detail.payload.unread });
});
store.addEventListener('reconnected', () => {
  if (store.state.me) api('/api/v1/notifications/unread').then((r) => store.set({ unread: r.unread })).catch(() => {});
});

// Signing out leaves nothing for the next person on this browser: playback stops, the queue goes.
document.getElementById('sign-out').addEventListener('click', async () => {
  window.dispatchEvent(new CustomEvent('cz-sign-out'));
  document.getElementById('search').value = '';
  try { await api('/api/v1/auth/logout', { method: 'POST' }); } catch { /* signed out either way */ }
  store.set({ me: null });
});

// The skip link moves focus; following its #main would be read as a route.
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main').focus();
});

document.getElementById('search-form').addEventListener('submit', (event) => event.preventDefault());
let searchTimer;
document.getElementById('search').addEventListener('input', (event) => {
  clearTimeout(searchTimer);
  const q = event.target.value.trim();
  // Refining a search replaces its history entry rather than adding one per pause.
  searchTimer = setTimeout(() => go(q ? `/search?q=${encodeURIComponent(q)}` : '/', { replace: currentPath().path === '/search' }), 200);
});

window.addEventListener('hashchange', route);
// A page being left (or kept in the back/forward cache) lets go of its live stream: the browser
// allows only a few connections per server, and streams held by pages no one sees would starve
// the next one. Coming back from that cache reconnects (with the last event id: nothing is missed).
window.addEventListener('pagehide', () => disconnectEvents());
window.addEventListener('pageshow', (event) => { if (event.persisted && store.state.me) connectEvents(); });
document.documentElement.dataset.theme = localStorage.getItem('cadenza.theme') || 'system';
document.documentElement.dataset.accent = localStorage.getItem('cadenza.accent') || 'blue';

// The sidebar collapses to icons (remembered on this browser).
const collapse = document.getElementById('collapse');
const setCollapsed = (collapsed) => {
  document.documentElement.classList.toggle('collapsed', collapsed);
  collapse.setAttribute('aria-expanded', String(!collapsed));
  collapse.setAttribute('aria-label', collapsed ? 'Expand the sidebar' : 'Collapse the sidebar');
};
setCollapsed(localStorage.getItem('cadenza.sidebar') === 'collapsed');
collapse.addEventListener('click', () => {
  const collapsed = !document.documentElement.classList.contains('collapsed');
  localStorage.setItem('cadenza.sidebar', collapsed ? 'collapsed' : 'open');
  setCollapsed(collapsed);
});

// The app shell opens without a network once it has been loaded (the API stays online-only).
// Registered once the page has loaded, so that its install (which fetches the shell) never competes
// with the first paint.
if ('serviceWorker' in navigator) {
  const register = () => navigator.serviceWorker.register('/sw.js').catch(() => { /* an old browser or a private window */ });
  if (document.readyState === 'complete') register(); else window.addEventListener('load', register, { once: true });
}

// `?` opens the list of keyboard shortcuts (turned off with single-key shortcuts in settings).
document.addEventListener('cz-help', () => {
  let dialog = document.getElementById('help-dialog');
  if (!dialog) {
    dialog = document.createElement('dialog');
    dialog.id = 'help-dialog';
    dialog.setAttribute('aria-labelledby', 'help-title');
    dialog.innerHTML = `<h2 id="help-title">Keyboard shortcuts</h2><dl class="keys">
      <dt>Space</dt><dd>Play or pause</dd><dt>← / →</dt><dd>Back or forward 5 seconds (with Shift: 30)</dd>
      <dt>n / p</dt><dd>Next or previous track</dd><dt>/</dt><dd>Search</dd><dt>?</dt><dd>This list</dd></dl>
      <form method="dialog"><button>Close</button></form>`;
    document.body.append(dialog);
  }
  dialog.showModal();
});

async function start() {
  // Signed in means a session, which always comes with the (script-readable) CSRF cookie.
  const hasSession = document.cookie.split('; ').some((c) => c.startsWith('cadenza_csrf='));
  let me = null;
  try { me = hasSession ? await api('/api/v1/me') : null; } catch { me = null; }
  if (me) store.set({ me });   // connects the event stream; the player checks whose queue it holds
  document.body.classList.toggle('signed-out', !me);
  await route();
}
start();
