import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { go } from '../router.js';

export const title = 'Sign in';

/// After a login (or an accepted invite): the session cookies are set, the app shows home, or
/// the station page the visitor came from (only a path of this app: `next` is in the address).
export function signedIn(session, next = '/') {
  store.set({ me: session.user });
  go(/^\/radio\/[a-z0-9-]+$/.test(next) ? next : '/');
}

export function render(main, { query } = {}) {
  main.innerHTML = html`
    <section class="auth-card">
      <img class="logo" src="/app/icons/icon.svg" alt="" width="48" height="48">
      <h1>Sign in to Cadenza</h1>
      <form id="login">
        <label for="username">Username</label>
        <input id="username" autocomplete="username" required maxlength="64">
        <label for="password">Password</label>
        <input id="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
      </form>
      <p id="login-status" role="status"></p>
      <p class="muted">First time here? An administrator creates accounts; a new server shows its setup link in the log.</p>
    </section>`.text;
  main.querySelector('#login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const status = main.querySelector('#login-status');
    status.textContent = 'Signing in…';
    try {
      const session = await api('/api/v1/auth/login', { method: 'POST', body: {
        username: main.querySelector('#username').value, password: main.querySelector('#password').value } });
      signedIn(session, query?.get?.('next') ?? '/');
    } catch (error) {
      status.textContent = error.message;
    }
  });
}
