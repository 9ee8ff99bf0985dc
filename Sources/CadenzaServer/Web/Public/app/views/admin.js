import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import * as libraries from './admin-libraries.js';
import * as invites from './admin-invites.js';

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
      <button type="submit">Create user</button></form>
      <p id="users-status" role="status"></p></section>
    ${invites.markup}
    ${libraries.markup}
    <section aria-labelledby="aj"><h2 id="aj">Failed jobs</h2><ul class="plain" id="jobs"></ul><p id="admin-status" role="status"></p></section>`.text;
  const say = (text) => { main.querySelector('#admin-status').textContent = text; };
  const sayUsers = (text) => { main.querySelector('#users-status').textContent = text; };
  let users = [];
  const loadUsers = async () => {
    users = await api('/api/v1/users');
    main.querySelector('#users').innerHTML = users.map((u) => html`<li>${u.username}
      <label class="visually-hidden" for="role-${u.id}">Role of ${u.username}</label>
      <select id="role-${u.id}" data-role-of="${u.id}" data-current="${u.role}">
        <option value="user" ${u.role === 'user' ? html`selected` : ''}>User</option>
        <option value="admin" ${u.role === 'admin' ? html`selected` : ''}>Administrator</option></select>
      ${u.id !== store.state.me.id ? html`<button type="button" data-delete-user="${u.id}" aria-label="Delete ${u.username}">Delete</button>` : ''}</li>`.text).join('');
  };
  const loadJobs = async () => {
    const failed = await api('/api/v1/jobs?state=failed');
    main.querySelector('#jobs').innerHTML = failed.length ? failed.map((j) => html`<li>${j.kind} <span class="muted">${j.lastError || ''}</span>
      <button type="button" data-retry="${j.id}" aria-label="Retry job ${j.id}">Retry</button></li>`.text).join('') : html`<li class="muted">No failed jobs.</li>`.text;
  };
  const librarySection = libraries.wire(main);
  const inviteSection = invites.wire(main, () => users);
  try { await loadUsers(); } catch (error) { sayUsers(error.message); }
  await Promise.all([
    librarySection.load().catch((error) => { main.querySelector('#libraries-status').textContent = error.message; }),
    inviteSection.load().catch((error) => { main.querySelector('#invites-status').textContent = error.message; }),
    loadJobs().catch((error) => say(error.message)),
  ]);
  main.querySelector('#new-user').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('/api/v1/users', { method: 'POST', body: { username: main.querySelector('#nu-name').value,
        password: main.querySelector('#nu-pass').value, role: main.querySelector('#nu-admin').checked ? 'admin' : 'user' } });
      sayUsers('User created.'); event.target.reset(); await loadUsers();
    } catch (error) { sayUsers(error.message); }
  });
  main.querySelector('#users').addEventListener('change', async (event) => {
    const select = event.target.closest('select[data-role-of]');
    if (!select) return;
    const user = users.find((u) => u.id === select.dataset.roleOf);
    try {
      await api(`/api/v1/users/${encodeURIComponent(select.dataset.roleOf)}`, { method: 'PATCH', body: { role: select.value } });
      select.dataset.current = select.value;
      sayUsers(`${user?.username} is now ${select.value === 'admin' ? 'an administrator' : 'a user'}.`);
    } catch (error) {
      select.value = select.dataset.current;   // the server refused: show what still holds
      sayUsers(error.message);
    }
  });
  main.addEventListener('click', async (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    try {
      if (target.dataset.deleteUser) {
        const name = users.find((u) => u.id === target.dataset.deleteUser)?.username || 'this user';
        if (!confirm(`Delete the account of ${name}? This cannot be undone.`)) return;
        await api(`/api/v1/users/${encodeURIComponent(target.dataset.deleteUser)}`, { method: 'DELETE' });
        sayUsers(`${name} deleted.`);
        await loadUsers();
        main.querySelector('#nu-name').focus();   // the button is gone
      }
      else if (target.dataset.retry) { await api(`/api/v1/jobs/${target.dataset.retry}/retry`, { method: 'POST' }); say('Job queued again.'); await loadJobs(); }
    } catch (error) { (target.dataset.deleteUser ? sayUsers : say)(error.message); }
  });
  return librarySection.cleanup;
}
