import { store } from './store.js';

// Fetch wrapper: session cookie plus the CSRF header on unsafe methods; API errors become
// exceptions carrying the server's message, so views can show it in words.
export class APIError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function csrf() {
  const match = document.cookie.match(/(?:^|; )cadenza_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

export async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf();
  // A form or a file (an uploaded picture) goes as it is, the file with its own type.
  const asIs = body instanceof FormData || body instanceof Blob;
  if (body !== undefined && !asIs) headers['Content-Type'] = 'application/json';
  if (body instanceof Blob && body.type) headers['Content-Type'] = body.type;
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : asIs ? body : JSON.stringify(body) });
  } catch (error) {
    lostConnection();
    throw new APIError(0, 'The server cannot be reached. Retrying…');
  }
  if (!store.state.online) backOnline();
  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const message = data?.error?.message || data?.error || `The server answered ${response.status}.`;
    if (response.status === 401 && path !== '/api/v1/auth/login') store.set({ me: null });
    throw new APIError(response.status, typeof message === 'string' ? message : `The server answered ${response.status}.`);
  }
  return data;
}

export const artwork = (id, size = 300) => id ? `/api/v1/artwork/${encodeURIComponent(id)}?size=${size}` : '';

// Offline: a failed request, a dropped event stream that the server does not answer behind, or
// the browser's `offline` event shows the banner; the server is then probed with backoff (1 s,
// doubling to 8 s) and the first answer (or any successful request) hides it again and opens
// the event stream anew. Once it is open, `reconnected` tells live views to fetch what they missed.
let probe = null;
let probeDelay = 1000;
let missed = false;

export async function reachable() {
  try { return (await fetch('/readyz', { cache: 'no-store', credentials: 'same-origin' })).ok; } catch { return false; }
}

export function lostConnection() {
  missed = true;
  if (store.state.online) store.set({ online: false });
  if (probe) return;
  probeDelay = 1000;
  const attempt = async () => {
    if (await reachable()) { probe = null; backOnline(); return; }
    probeDelay = Math.min(probeDelay * 2, 8000);
    probe = setTimeout(attempt, probeDelay);
  };
  probe = setTimeout(attempt, probeDelay);
}

function backOnline() {
  clearTimeout(probe);
  probe = null;
  if (!store.state.online) store.set({ online: true });
  // A stream the browser gave up on is opened anew; one still retrying keeps its own Last-Event-ID.
  if (source && source.readyState === EventSource.CLOSED) { disconnectEvents(); connectEvents(); }
}

window.addEventListener('offline', lostConnection);
window.addEventListener('online', async () => { if (await reachable()) backOnline(); });

// One live connection for the whole app; EventSource reconnects by itself with Last-Event-ID.
let source = null;
let lastEventId = '';
export function connectEvents() {
  if (source) return;
  const es = new EventSource('/api/v1/events' + (lastEventId ? `?lastEventId=${encodeURIComponent(lastEventId)}` : ''));
  source = es;
  const forward = (type) => es.addEventListener(type, (event) => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    let data = null;
    try { data = JSON.parse(event.data); } catch { return; }
    store.dispatchEvent(new CustomEvent('event', { detail: data }));
  });
  ['listen', 'listen.remote', 'playing_now', 'library.scan.progress', 'library.scan.finished', 'upload.imported', 'upload.failed', 'listens.imported',
    'station.now_playing', 'station.created', 'station.updated', 'station.deleted', 'station.schedule_changed',
    'notification.created', 'federation.follow_requested', 'federation.follow_answered'].forEach(forward);
  es.onerror = async () => {
    if (!(await reachable())) { lostConnection(); return; }
    if (es.readyState !== EventSource.CLOSED) return;   // the browser retries by itself
    // The server is up but refused the stream: most likely the session ended. Say so rather than
    // calling the server offline and retrying for ever.
    const me = await fetch('/api/v1/me', { credentials: 'same-origin' }).catch(() => null);
    if (me && me.status === 401) { disconnectEvents(); store.set({ me: null }); } else { lostConnection(); }
  };
  es.onopen = () => {
    if (!store.state.online) backOnline();
    if (missed) { missed = false; store.dispatchEvent(new CustomEvent('reconnected')); }
  };
}

export function disconnectEvents() {
  source?.close();
  source = null;
}
