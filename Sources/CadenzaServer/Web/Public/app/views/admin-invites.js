import { api } from '../api.js';
import { html } from '../html.js';

// The admin page's invite links: made for a role and a lifetime, shown once with a copy button,
// listed while pending, revocable.
export const markup = html`<section aria-labelledby="ai"><h2 id="ai">Invite links</h2>
  <form id="new-invite" class="row-form"><label for="inv-role">Role</label> <select id="inv-role"><option value="user">User</option><option value="admin">Administrator</option></select>
    <label for="inv-hours">Valid for (hours)</label> <input id="inv-hours" type="number" min="1" max="720" value="72" required>
    <button type="submit">Create invite link</button></form>
  <div id="invite-new" hidden><label for="invite-url">New invite link (shown only now)</label>
    <div class="row-form"><input id="invite-url" readonly> <button type="button" id="invite-copy">Copy link</button></div></div>
  <ul class="plain" id="invites"></ul>
  <p id="invites-status" role="status"></p></section>`;

const when = (date) => new Date(date).toLocaleString();

export function wire(main, users) {
  const say = (text) => { main.querySelector('#invites-status').textContent = text; };
  const load = async () => {
    const invites = await api('/api/v1/invites');
    const names = new Map(users().map((u) => [u.id, u.username]));
    main.querySelector('#invites').innerHTML = invites.length ? invites.map((i) => html`<li data-invite="${i.id}">${i.role === 'admin' ? 'Administrator' : 'User'} invite
      <span class="muted">by ${names.get(i.createdBy) || 'a former user'}, ${when(i.createdAt)}; expires ${when(i.expiresAt)}</span>
      <button type="button" data-revoke-invite="${i.id}" aria-label="Revoke the invite of ${when(i.createdAt)}">Revoke</button></li>`.text).join('')
      : html`<li class="muted">No pending invites.</li>`.text;
  };
  main.querySelector('#new-invite').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const invite = await api('/api/v1/invites', { method: 'POST', body: { role: main.querySelector('#inv-role').value,
        hours: Number(main.querySelector('#inv-hours').value) } });
      main.querySelector('#invite-new').hidden = false;
      const url = main.querySelector('#invite-url');
      url.value = invite.url;
      url.focus();
      url.select();
      say(`Invite link created; it works once, until ${when(invite.expiresAt)}.`);
      await load();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#invite-copy').addEventListener('click', async () => {
    const url = main.querySelector('#invite-url');
    try {
      await navigator.clipboard.writeText(url.value);
      say('Link copied.');
    } catch {
      url.focus();
      url.select();
      say('Copying was not allowed here: the link is selected, press Ctrl+C (⌘C) to copy it.');
    }
  });
  main.querySelector('#invites').addEventListener('click', async (event) => {
    const id = event.target.closest('button[data-revoke-invite]')?.dataset.revokeInvite;
    if (!id) return;
    try { await api(`/api/v1/invites/${encodeURIComponent(id)}`, { method: 'DELETE' }); say('Invite revoked.'); await load(); }
    catch (error) { say(error.message); }
  });
  return { load };
}
