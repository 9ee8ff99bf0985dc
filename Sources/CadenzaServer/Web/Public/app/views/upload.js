import { html } from '../html.js';
import { store } from '../store.js';

export const title = 'Upload';

// Files go up one request each (progress per file from XHR), then the server imports them in a
// job; the `upload.imported` / `upload.failed` events say how each one ended.
export function render(main) {
  main.innerHTML = html`<h1>Upload music</h1>
    <div id="drop" class="drop" tabindex="0" role="button" aria-describedby="drop-help">Drop audio files here, or choose them</div>
    <p id="drop-help" class="muted">They go to your own uploads library. Files are checked by content; duplicates are reported.</p>
    <label class="visually-hidden" for="files">Audio files</label>
    <input id="files" type="file" multiple accept="audio/*">
    <ul class="plain" id="uploads" aria-live="polite"></ul>`.text;
  const list = main.querySelector('#uploads');
  const rows = new Map();
  const send = (file) => {
    const li = document.createElement('li');
    li.innerHTML = html`${file.name} <progress max="100" value="0" aria-label="Upload of ${file.name}"></progress> <span class="state">uploading</span>`.text;
    list.append(li);
    const form = new FormData();
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
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
