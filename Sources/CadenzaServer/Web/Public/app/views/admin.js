import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage } from '../components.js';

export const title = 'Administration';

export async function render(main) {
  if (store.state.me?.role !== 'admin') {
    main.innerHTML = html`<h1>Administration</h1><p>Only administrators can see this page.</p>`.text;
    return;
  }
  main.innerHTML = html`<h1>Administration</h1>
    <section aria-labelledby="au"><h2 id="au">Users</h2><ul class="plain" id="users"></ul>
      <form id="new-user"><label for="nu-name">Username</label><input id="nu-name" required maxlength="64">
      <label for="nu-pass">Password</label><input id="nu-pass" type="password" required minlength="8" autocomplete="new-password">
      <label><input type="checkbox" id="nu-admin"> Administrator</label>
      <button type="submit">Create user</button></form></section>
    <section aria-labelledby="al"><h2 id="al">Libraries</h2><ul class="plain" id="libraries"></ul><p id="scan" role="status"></p></section>
    <section aria-labelledby="aj"><h2 id="aj">Failed jobs</h2><ul class="plain" id="jobs"></ul></section>
    <p id="admin-status" role="status"></p>`.text;
  const say = (text) => { main.querySelector('#admin-status').textContent = text; };
  const load = async () => {
    const [users, libraries, jobs] = await Promise.all([api('/api/v1/users'), api('/api/v1/libraries'), api('/api/v1/jobs?state=failed')]);
    main.querySelector('#users').innerHTML = (users.items || users).map((u) => html`<li>${u.username} <span class="muted">${u.role}</span>
      ${u.id !== store.state.me.id ? html`<button type="button" data-delete-user="${u.id}" aria-label="Delete ${u.username}">Delete</button>` : ''}</li>`.text).join('');
    main.querySelector('#libraries').innerHTML = (libraries.items || libraries).map((l) => html`<li>${l.name} <span class="muted">${l.kind}, ${l.visibility}</span>
      <button type="button" data-scan="${l.id}" aria-label="Scan ${l.name} now">Scan now</button></li>`.text).join('');
    const failed = jobs.items || jobs;
    main.querySelector('#jobs').innerHTML = failed.length ? failed.map((j) => html`<li>${j.kind} <span class="muted">${j.lastError || ''}</span>
      <button type="button" data-retry="${j.id}" aria-label="Retry job ${j.id}">Retry</button></li>`.text).join('') : html`<li class="muted">No failed jobs.</li>`.text;
  };
  try { await load(); } catch (error) { say(error.message); }
  main.querySelector('#new-user').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('/api/v1/users', { method: 'POST', body: { username: main.querySelector('#nu-name').value,
        password: main.querySelector('#nu-pass').value, role: main.querySelector('#nu-admin').checked ? 'admin' : 'user' } });
      say('User created.'); event.target.reset(); await load();
    } catch (error) { say(error.message); }
  });
  main.addEventListener('click', async (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    try {
      if (target.dataset.deleteUser) { await api(`/api/v1/users/${target.dataset.deleteUser}`, { method: 'DELETE' }); say('User deleted.'); }
      else if (target.dataset.scan) { await api(`/api/v1/libraries/${target.dataset.scan}/scan`, { method: 'POST', body: {} }); say('Scan started.'); }
      else if (target.dataset.retry) { await api(`/api/v1/jobs/${target.dataset.retry}/retry`, { method: 'POST' }); say('Job queued again.'); }
      else return;
      await load();
    } catch (error) { say(error.message); }
  });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'library.scan.progress') main.querySelector('#scan').textContent = `Scanning: ${e.payload.processed} of ${e.payload.total} files read`;
    if (e.type === 'library.scan.finished') main.querySelector('#scan').textContent = 'Scan finished.';
  };
  store.addEventListener('event', onEvent);
  return () => store.removeEventListener('event', onEvent);
}
