import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage } from '../components.js';

// Other servers: find a library or a person (@user@host, a library's address), follow them,
// answer who asks to follow your libraries; administrators set each domain's policy.

export const title = 'Other servers';

const STATUS = { pending: 'Waiting for an answer', approved: 'Following', rejected: 'Refused' };
const STATUS_IN = { pending: 'Waiting for your answer', approved: 'Approved', rejected: 'Refused' };
const POLICIES = [['block', 'Block (nothing in or out)'], ['silence', 'Silence (kept, never announced)'], ['allow', 'Allow (for allow-list mode)']];
const counts = (d) => ['sent', 'queued', 'failed', 'dropped'].filter((k) => d[k]).map((k) => `${d[k]} ${k}`).join(', ') || 'nothing sent';

export async function render(main) {
  const admin = store.state.me?.role === 'admin';
  main.innerHTML = html`<h1>Other servers</h1>
    <p class="muted">Follow libraries and people on other Cadenza (or Funkwhale) servers: their tracks join your library and play
      through this server, their public listens join your history.</p>
    <section aria-labelledby="find-h"><h2 id="find-h">Find</h2>
      <form id="find-form" class="row-form"><label for="find-q">A person (@name@server) or a library's address</label>
        <input id="find-q" required maxlength="1000" autocomplete="off" placeholder="@alice@music.example.org"> <button type="submit">Look up</button></form>
      <div id="found" aria-live="polite"></div>
    </section>
    <section aria-labelledby="following-h"><h2 id="following-h">You follow</h2><ul class="notify-list" id="following"></ul></section>
    <section aria-labelledby="followers-h"><h2 id="followers-h">Following you and your libraries</h2><ul class="notify-list" id="followers"></ul></section>
    ${admin ? html`<section aria-labelledby="domains-h"><h2 id="domains-h">Domains</h2>
      <ul class="notify-list" id="domains"></ul>
      <form id="domain-form"><h3>Set a policy</h3>
        <label for="domain-name">Domain (host or host:port)</label><input id="domain-name" required maxlength="300" autocomplete="off">
        <label for="domain-policy">Policy</label><select id="domain-policy">${POLICIES.map(([v, n]) => html`<option value="${v}">${n}</option>`)}</select>
        <label><input type="checkbox" id="domain-media"> Refuse its media</label>
        <label for="domain-note">Note</label><input id="domain-note" maxlength="1000">
        <button type="submit">Save</button></form>
      <h3 id="accounts-h">Blocked accounts</h3>
      <ul class="notify-list" id="accounts" aria-labelledby="accounts-h"></ul>
      <form id="account-form" class="row-form"><label for="account-name">Block an account (@name@server)</label>
        <input id="account-name" required maxlength="2000" autocomplete="off"> <button type="submit">Block</button></form></section>` : ''}
    <p id="fed-status" role="status"></p>`.text;
  const say = (text) => { main.querySelector('#fed-status').textContent = text; };
  let found = null;

  const loadFollowing = async () => {
    const follows = await api('/api/v1/federation/follows');
    main.querySelector('#following').innerHTML = follows.length ? follows.map((f) => html`<li>
      <span class="grow"><strong>${f.kind === 'library' ? f.name : f.remote}</strong> <span class="badge-remote">${f.kind}</span>
      <br><span class="when">${f.kind === 'library' ? `${f.remote} · ` : ''}${STATUS[f.status] || f.status}</span></span>
      <button type="button" data-unfollow="${f.id}" aria-label="Stop following ${f.name || f.remote}">Unfollow</button></li>`.text).join('')
      : html`<li class="muted">Nothing yet.</li>`.text;
  };
  const loadFollowers = async () => {
    const followers = await api('/api/v1/federation/followers');
    main.querySelector('#followers').innerHTML = followers.length ? followers.map((f) => html`<li>
      <span class="grow"><strong>${f.remote}</strong> follows ${f.kind === 'library' ? html`your library <em>${f.name}</em>` : 'you'}
      <br><span class="when">${STATUS_IN[f.status] || f.status}</span></span>
      ${f.status === 'pending' ? html`<button type="button" data-answer="approve" data-id="${f.id}" aria-label="Approve ${f.remote}">Approve</button>
        <button type="button" data-answer="reject" data-id="${f.id}" aria-label="Refuse ${f.remote}">Refuse</button>` : ''}</li>`.text).join('')
      : html`<li class="muted">Nobody yet.</li>`.text;
  };
  const loadDomains = async () => {
    if (!admin) return;
    const domains = await api('/api/v1/federation/domains');
    main.querySelector('#domains').innerHTML = domains.length ? domains.map((d) => html`<li>
      <span class="grow"><strong>${d.authority}</strong> ${d.policy ? html`<span class="badge-remote">${d.policy}</span>` : ''}${d.rejectMedia ? ' · media refused' : ''}
      <br><span class="when">${d.knownActors} known account(s) · deliveries: ${counts(d.deliveries)}${d.note ? ` · ${d.note}` : ''}</span></span>
      ${d.policy ? html`<button type="button" data-lift="${d.authority}" aria-label="Remove the policy for ${d.authority}">Remove policy</button>` : ''}</li>`.text).join('')
      : html`<li class="muted">No other server yet.</li>`.text;
  };
  const loadAccounts = async () => {
    if (!admin) return;
    const blocks = await api('/api/v1/federation/account-blocks');
    main.querySelector('#accounts').innerHTML = blocks.length ? blocks.map((b) => html`<li>
      <span class="grow"><strong>${b.handle || b.actor}</strong>${b.note ? html`<br><span class="when">${b.note}</span>` : ''}</span>
      <button type="button" data-unblock="${b.actor}" aria-label="Unblock ${b.handle || b.actor}">Unblock</button></li>`.text).join('')
      : html`<li class="muted">None.</li>`.text;
  };
  const loadAll = () => Promise.all([loadFollowing(), loadFollowers(), loadDomains(), loadAccounts()]);
  try { await loadAll(); } catch (error) { main.querySelector('#fed-status').innerHTML = errorMessage(error).text; return; }

  main.querySelector('#find-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = main.querySelector('#find-q').value.trim();
    const out = main.querySelector('#found');
    out.textContent = 'Looking…';
    try {
      found = await api(`/api/v1/federation/lookup?q=${encodeURIComponent(q)}`);
      out.innerHTML = html`<div class="card-row"><p><strong>${found.name}</strong> <span class="badge-remote">${found.kind}</span>
        ${found.handle ? html`<br><span class="when">${found.kind === 'library' ? `by ${found.handle}` : found.handle}</span>` : ''}
        ${found.totalItems != null ? html`<br><span class="when">${found.totalItems} track(s)</span>` : ''}
        ${found.manuallyApprovesFollowers ? html`<br><span class="when">Its owner approves each follower.</span>` : ''}</p>
        <button type="button" id="follow-found" class="primary">Follow</button></div>`.text;
    } catch (error) {
      found = null;
      out.textContent = error.message;
    }
  });
  main.addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    try {
      if (button.id === 'follow-found' && found) {
        const follow = await api('/api/v1/federation/follows', { method: 'POST', body: { target: found.id } });
        say(follow.status === 'approved' ? `You follow ${found.name}.` : `Asked to follow ${found.name}; waiting for an answer.`);
        main.querySelector('#found').innerHTML = '';
        await loadFollowing();
      } else if (button.dataset.unfollow) {
        await api(`/api/v1/federation/follows/${button.dataset.unfollow}`, { method: 'DELETE' });
        say('No longer following; what came from there is gone from your library.');
        await loadFollowing();
      } else if (button.dataset.answer) {
        await api(`/api/v1/federation/followers/${button.dataset.id}/${button.dataset.answer}`, { method: 'POST', body: {} });
        say(button.dataset.answer === 'approve' ? 'Approved.' : 'Refused.');
        await loadFollowers();
      } else if (button.dataset.unblock) {
        await api(`/api/v1/federation/account-blocks?account=${encodeURIComponent(button.dataset.unblock)}`, { method: 'DELETE' });
        say('Unblocked.');
        await loadAccounts();
      } else if (button.dataset.lift) {
        await api(`/api/v1/federation/domains/${encodeURIComponent(button.dataset.lift)}`, { method: 'DELETE' });
        say(`The policy for ${button.dataset.lift} is removed.`);
        await loadDomains();
      } else {
        return;
      }
      main.querySelector('#find-q').focus();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#domain-form')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = main.querySelector('#domain-name').value.trim().toLowerCase();
    try {
      await api(`/api/v1/federation/domains/${encodeURIComponent(name)}`, { method: 'PUT', body: {
        policy: main.querySelector('#domain-policy').value, rejectMedia: main.querySelector('#domain-media').checked,
        note: main.querySelector('#domain-note').value } });
      say(`Saved the policy for ${name}.`);
      event.target.reset();
      await loadDomains();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#account-form')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const account = main.querySelector('#account-name').value.trim();
    try {
      await api('/api/v1/federation/account-blocks', { method: 'POST', body: { account } });
      say(`Blocked ${account}; its follows here have ended.`);
      event.target.reset();
      await Promise.all([loadAccounts(), loadFollowers()]);
    } catch (error) { say(error.message); }
  });
  // Answers arrive while the page is open.
  const onEvent = (event) => {
    if (event.detail.type?.startsWith('federation.')) loadAll().catch(() => {});
  };
  store.addEventListener('event', onEvent);
  return () => store.removeEventListener('event', onEvent);
}
