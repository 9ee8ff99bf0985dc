import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { VISIBILITIES } from '../components.js';

// The admin page's libraries: folder libraries with their folders on the server's disk, a scan
// per library (progress from the event stream), and new folder libraries.
export const markup = html`<section aria-labelledby="al"><h2 id="al">Libraries</h2>
  <ul class="plain" id="libraries"></ul><p id="scan" role="status"></p>
  <details><summary>New folder library</summary>
    <form id="new-folder-library" class="stack"><label for="fl-name">Name</label><input id="fl-name" required maxlength="100">
      <label for="fl-visibility">Who may see it</label><select id="fl-visibility">${VISIBILITIES.map(([v, name]) =>
        html`<option value="${v}" ${v === 'instance' ? html`selected` : ''}>${name}</option>`)}</select>
      <button type="submit">Create library</button></form></details>
  <p id="libraries-status" role="status"></p></section>`;

const library = (l) => html`<li data-library="${l.id}"><strong>${l.name}</strong> <span class="muted">${l.kind === 'uploads' ? 'uploads' : 'folders'},
  ${VISIBILITIES.find(([v]) => v === l.visibility)?.[1] || l.visibility}</span>
  <button type="button" data-scan="${l.id}" aria-label="Scan ${l.name} now">Scan now</button>
  ${l.kind === 'folders' ? html`<ul class="folders">${(l.folders || []).map((f) => html`<li><code>${f.path}</code>
    <span class="muted">${f.lastScanAt ? `scanned ${new Date(f.lastScanAt).toLocaleString()}` : 'not scanned yet'}</span></li>`)}</ul>
    <form class="add-folder" data-add-folder="${l.id}"><label for="af-${l.id}">Add a folder to ${l.name}</label>
      <input id="af-${l.id}" required maxlength="4096" placeholder="/srv/music" autocomplete="off"> <button type="submit">Add folder</button></form>` : ''}</li>`;

export function wire(main) {
  const say = (text) => { main.querySelector('#libraries-status').textContent = text; };
  const load = async () => {
    const libraries = await api('/api/v1/libraries');
    main.querySelector('#libraries').innerHTML = libraries.map((l) => library(l).text).join('');
  };
  main.querySelector('#new-folder-library').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const created = await api('/api/v1/libraries', { method: 'POST', body: { name: main.querySelector('#fl-name').value,
        visibility: main.querySelector('#fl-visibility').value, kind: 'folders' } });
      event.target.reset();
      await load();
      say(`Library “${created.name}” created; add its folders.`);
      main.querySelector(`#af-${CSS.escape(created.id)}`)?.focus();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#libraries').addEventListener('submit', async (event) => {
    const form = event.target.closest('form[data-add-folder]');
    if (!form) return;
    event.preventDefault();
    const path = form.querySelector('input').value.trim();
    try {
      await api(`/api/v1/libraries/${encodeURIComponent(form.dataset.addFolder)}/folders`, { method: 'POST', body: { path } });
      await load();
      say(`Folder ${path} added; its scan has started.`);
    } catch (error) {
      say(`The folder was not added: ${error.message}`);
      form.querySelector('input').focus();
    }
  });
  main.querySelector('#libraries').addEventListener('click', async (event) => {
    const id = event.target.closest('button[data-scan]')?.dataset.scan;
    if (!id) return;
    try { await api(`/api/v1/libraries/${encodeURIComponent(id)}/scan`, { method: 'POST', body: { full: false } }); say('Scan started.'); }
    catch (error) { say(error.message); }
  });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'library.scan.progress') main.querySelector('#scan').textContent = `Scanning: ${e.payload.processed} of ${e.payload.total} files read`;
    if (e.type === 'library.scan.finished') { main.querySelector('#scan').textContent = 'Scan finished.'; load().catch(() => {}); }
  };
  store.addEventListener('event', onEvent);
  return { load, cleanup: () => store.removeEventListener('event', onEvent) };
}
