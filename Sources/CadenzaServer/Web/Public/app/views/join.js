import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { signedIn } from './login.js';

export const title = 'Join Cadenza';

// `#/join/<token>`: the page an invite link opens, reachable signed out. The new account signs
// in at once, as a login does.
export async function render(main, { token }) {
  main.innerHTML = html`
    <section class="auth-card">
      <img class="logo" src="/app/icons/icon.svg" alt="" width="48" height="48">
      <h1>Join Cadenza</h1>
      <p id="join-about">Checking your invite…</p>
      <form id="join" hidden>
        <label for="join-username">Username</label>
        <input id="join-username" autocomplete="username" required maxlength="64" aria-describedby="join-username-help">
        <p id="join-username-help" class="muted">Letters, digits and . _ - @</p>
        <label for="join-password">Password (8 characters or more)</label>
        <input id="join-password" type="password" autocomplete="new-password" required minlength="8">
        <label for="join-confirm">Password again</label>
        <input id="join-confirm" type="password" autocomplete="new-password" required minlength="8">
        <button type="submit">Create my account</button>
      </form>
      <p id="join-status" role="status"></p>
    </section>`.text;
  const about = main.querySelector('#join-about'), form = main.querySelector('#join'), status = main.querySelector('#join-status');
  if (store.state.me) {
    about.textContent = `You are signed in as ${store.state.me.username}. Sign out first to create a new account with this invite.`;
    return;
  }
  try {
    const invite = await api('/api/v1/invites/check', { method: 'POST', body: { token } });
    about.textContent = `You are invited as ${invite.role === 'admin' ? 'an administrator' : 'a user'}. The link works once, until ${new Date(invite.expiresAt).toLocaleString()}.`;
    form.hidden = false;
  } catch (error) {
    about.textContent = error.message;
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const password = main.querySelector('#join-password').value;
    if (password !== main.querySelector('#join-confirm').value) {
      status.textContent = 'The two passwords are not the same.';
      main.querySelector('#join-confirm').focus();
      return;
    }
    status.textContent = 'Creating your account…';
    try {
      signedIn(await api('/api/v1/invites/accept', { method: 'POST', body: { token, username: main.querySelector('#join-username').value, password } }));
    } catch (error) {
      status.textContent = error.message;
      if (error.status === 404) form.hidden = true;   // used or expired meanwhile
    }
  });
}
