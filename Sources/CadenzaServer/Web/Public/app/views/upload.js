import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { VISIBILITIES } from '../components.js';

export const title = 'Upload';

// Files go up one request each, three at a time (progress per file from XHR), into the chosen upload
// library, then the server imports them in a job; the `upload.imported` / `upload.failed` events
// say how each one ended, and GET /api/v1/uploads tells what the events could not.
export function render(main) {
  main.innerHTML = html`<h1>Upload music</h1>
    <p><label for="upload-library">Upload into</label> <select id="upload-library"></select></p>
    <details><summary>New upload library</summary>
      <form id="new-library" class="stack"><label for="nl-name">Name</label> <input id="nl-name" required maxlength="100">
        <label for="nl-visibility">Who may see it</label> <select id="nl-visibility">${VISIBILITIES.map(([v, name]) => html`<option value="${v}">${name}</option>`)}</select>
        <button type="submit">Create library</button></form></details>
    <p id="upload-status" role="status"></p>
    <div id="drop" class="drop" tabindex="0" role="button" aria-describedby="drop-help">Drop audio files here, or choose them</div>
    <p id="drop-help" class="muted">They go to the library chosen above. Files are checked by content; duplicates are reported.</p>
    <label class="visually-hidden" for="files">Audio files</label>
    <input id="files" type="file" multiple accept="audio/*">
    <ul class="plain" id="uploads" aria-live="polite"></ul>`.text;
  const select = main.querySelector('#upload-library');
  const say = (text) => { main.querySelector('#upload-status').textContent = text; };
  const loadLibraries = async (chosen) => {
    const me = store.state.me;
    const mine = (await api('/api/v1/libraries')).filter((l) => l.kind === 'uploads' && (l.ownerId === me.id || me.role === 'admin'));
    select.innerHTML = mine.length ? mine.map((l) => html`<option value="${l.id}">${l.name}${l.ownerId === me.id ? '' : ' (another user’s)'}</option>`.text).join('')
      : html`<option value="">My uploads (created with the first upload)</option>`.text;
    const own = mine.find((l) => l.ownerId === me.id);
    if (chosen || own) select.value = chosen || own.id;
  };
  loadLibraries().catch((error) => say(`Your libraries could not be loaded: ${error.message}`));
  main.querySelector('#new-library').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const library = await api('/api/v1/libraries', { method: 'POST', body: { name: main.querySelector('#nl-name').value,
        visibility: main.querySelector('#nl-visibility').value, kind: 'uploads' } });
      event.target.reset();
      await loadLibraries(library.id);
      say(`Library “${library.name}” created; uploads now go there.`);
    } catch (error) { say(error.message); }
  });
  const list = main.querySelector('#uploads');
  // fileId → the row's state; results that came by event before the upload's answer named its file
  // wait in `early`. At most PARALLEL uploads run at once; the others wait their turn.
  const rows = new Map();
  const early = new Map();
  const waiting = [];
  let running = 0;
  const PARALLEL = 3;
  const show = (state, result) => {
    state.textContent = result.status === 'imported' ? 'imported'
      : result.status === 'failed' ? `failed: ${result.error || 'unreadable'}` : 'importing…';
  };
  const settle = (fileId, result) => {
    const state = rows.get(String(fileId));
    if (state) { show(state, result); if (result.status !== 'pending') rows.delete(String(fileId)); return; }
    early.set(String(fileId), result);
    if (early.size > 500) early.delete(early.keys().next().value);
  };
  // What the event stream could not tell (events before the stream opened, an outage): ask the server.
  const recheck = async () => {
    if (!rows.size) return;
    try {
      const page = await api('/api/v1/uploads?limit=200');
      page.items.forEach((f) => { if (f.status !== 'pending' && rows.has(String(f.id))) settle(f.id, f); });
    } catch { /* the events may still tell */ }
  };
  const next = () => {
    while (running < PARALLEL && waiting.length) { running += 1; send(...waiting.shift()); }
    if (!running && !waiting.length) recheck();
  };
  const send = (file, li) => {
    const state = li.querySelector('.state');
    state.textContent = 'uploading';
    const form = new FormData();
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads' + (select.value ? `?library=${encodeURIComponent(select.value)}` : ''));
    const csrf = document.cookie.match(/(?:^|; )cadenza_csrf=([^;]*)/);
    xhr.setRequestHeader('X-CSRF-Token', csrf ? decodeURIComponent(csrf[1]) : '');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) li.querySelector('progress').value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status >= 300 || !body?.files?.[0]) { state.textContent = body?.error?.message || `failed (${xhr.status})`; return; }
      const result = body.files[0];
      state.textContent = result.status === 'pending' ? 'importing…' : `${result.status}${result.reason ? ': ' + result.reason : ''}`;
      if (result.fileId && result.status === 'pending') {
        rows.set(String(result.fileId), state);
        const known = early.get(String(result.fileId));
        if (known) { early.delete(String(result.fileId)); settle(result.fileId, known); }
      }
      if (!select.value) loadLibraries(body.libraryId).catch(() => {});   // the server made the user's uploads library
    };
    xhr.onerror = () => { state.textContent = 'the server cannot be reached'; };
    xhr.onloadend = () => { running -= 1; next(); };
    xhr.send(form);
  };
  const queue = (file) => {
    const li = document.createElement('li');
    li.innerHTML = html`${file.name} <progress max="100" value="0" aria-label="Upload of ${file.name}"></progress> <span class="state">waiting</span>`.text;
    list.append(li);
    waiting.push([file, li]);
  };
  const take = (files) => { [...files].forEach(queue); next(); };
  // Emptied once taken, so that choosing the same file again still counts.
  main.querySelector('#files').addEventListener('change', (e) => { take(e.target.files); e.target.value = ''; });
  const drop = main.querySelector('#drop');
  drop.addEventListener('click', () => main.querySelector('#files').click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); main.querySelector('#files').click(); } });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); take(e.dataTransfer.files); });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'upload.imported') settle(e.payload.fileId, { status: 'imported' });
    else if (e.type === 'upload.failed') settle(e.payload.fileId, { status: 'failed', error: e.payload.error });
  };
  store.addEventListener('event', onEvent);
  store.addEventListener('reconnected', recheck);
  return () => { store.removeEventListener('event', onEvent); store.removeEventListener('reconnected', recheck); };
}
