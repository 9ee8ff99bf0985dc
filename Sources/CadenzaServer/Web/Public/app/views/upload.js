import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { VISIBILITIES } from '../components.js';

export const title = 'Upload';

// Files go up one request each (progress per file from XHR) into the chosen upload library, then
// the server imports them in a job; the `upload.imported` / `upload.failed` events say how each one ended.
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
  const rows = new Map();
  const send = (file) => {
    const li = document.createElement('li');
    li.innerHTML = html`${file.name} <progress max="100" value="0" aria-label="Upload of ${file.name}"></progress> <span class="state">uploading</span>`.text;
    list.append(li);
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
      const state = li.querySelector('state') || li.querySelector('.state');
      if (xhr.status >= 300) { state.textContent = body?.error?.message || `failed (${xhr.status})`; return; }
      const result = body.files[0];
      state.textContent = result.status === 'pending' ? 'importing…' : `${result.status}${result.reason ? ': ' + result.reason : ''}`;
      if (result.fileId) rows.set(String(result.fileId), state);
      if (!select.value) loadLibraries(body.libraryId).catch(() => {});   // the server made the user's uploads library
    };
    xhr.onerror = () => { li.querySelector('.state').textContent = 'the server cannot be reached'; };
    xhr.send(form);
  };
  const take = (files) => [...files].forEach(send);
  main.querySelector('#files').addEventListener('change', (e) => take(e.target.files));
  const drop = main.querySelector('#drop');
  drop.addEventListener('click', () => main.querySelector('#files').click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); main.querySelector('#files').click(); } });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); take(e.dataTransfer.files); });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type !== 'upload.imported' && e.type !== 'upload.failed') return;
    const state = rows.get(String(e.payload.fileId));
    if (state) state.textContent = e.type === 'upload.imported' ? 'imported' : `failed: ${e.payload.error || 'unreadable'}`;
  };
  store.addEventListener('event', onEvent);
  return () => store.removeEventListener('event', onEvent);
}
