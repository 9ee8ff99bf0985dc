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
  if (body !== undefined && !(body instanceof FormData)) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body) });
  } catch (error) {
    store.set({ online: false });
    throw new APIError(0, 'The server cannot be reached. Retrying…');
  }
  if (!store.state.online) store.set({ online: true });
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

// One live connection for the whole app; EventSource reconnects by itself with Last-Event-ID.
let source = null;
export function connectEvents() {
  if (source) return;
  source = new EventSource('/api/v1/events');
  const forward = (type) => source.addEventListener(type, (event) => {
    let data = null;
    try { data = JSON.parse(event.data); } catch { return; }
    store.dispatchEvent(new CustomEvent('event', { detail: data }));
  });
  ['listen', 'playing_now', 'library.scan.progress', 'library.scan.finished', 'upload.imported', 'listens.imported'].forEach(forward);
  source.onerror = () => store.set({ online: navigator.onLine && source.readyState !== EventSource.CLOSED });
  source.onopen = () => store.set({ online: true });
}

export function disconnectEvents() {
  source?.close();
  source = null;
}
