import { api } from '../api.js';
import { html } from '../html.js';
import { errorMessage } from '../components.js';

const ACCENTS = [['blue', 'Blue'], ['violet', 'Violet'], ['green', 'Green'], ['orange', 'Orange'], ['pink', 'Pink'], ['teal', 'Teal']];

export const title = 'Settings';

export async function render(main) {
  main.innerHTML = html`<h1>Settings</h1>
    <section aria-labelledby="listen-h"><h2 id="listen-h">Listening</h2>
      <form id="listen-form">
        <label for="tz">Time zone for statistics</label><input id="tz" required maxlength="64">
        <label for="visibility">Who may see your listens</label>
        <select id="visibility"><option value="public">Everyone</option><option value="instance">Users of this server</option><option value="private">Only me</option></select>
        <label><input type="checkbox" id="share-recs"> Let my listens shape what others are recommended (never when only I may see them)</label>
        <button type="submit">Save</button>
      </form>
    </section>
    <section aria-labelledby="pw-h"><h2 id="pw-h">Account password</h2>
      <form id="pw-form"><label for="pw-current">Current password</label><input id="pw-current" type="password" autocomplete="current-password" required>
      <label for="pw-new">New password (8 characters or more)</label><input id="pw-new" type="password" autocomplete="new-password" required minlength="8">
      <p>Changing it signs out your other browsers.</p>
      <label><input type="checkbox" id="pw-scrobblers" checked> Also sign out scrobblers (Last.fm, AudioScrobbler)</label>
      <label><input type="checkbox" id="pw-tokens"> Also revoke every API token</label>
      <button type="submit">Change password</button></form>
    </section>
    <section aria-labelledby="theme-h"><h2 id="theme-h">Appearance</h2>
      <label for="theme">Theme</label>
      <select id="theme"><option value="system">Follow the system</option><option value="light">Light</option><option value="dark">Dark</option></select>
      <fieldset class="swatches" id="accent"><legend>Accent colour</legend>
        ${ACCENTS.map(([value, name]) => html`<label><input type="radio" name="accent" value="${value}"> ${name}</label>`)}
      </fieldset>
    </section>
    <section aria-labelledby="shortcut-h"><h2 id="shortcut-h">Keyboard</h2>
      <label><input type="checkbox" id="shortcuts"> Single-key shortcuts (space, n, p, /, arrows)</label>
    </section>
    <section aria-labelledby="sub-h"><h2 id="sub-h">App password</h2>
      <p>Subsonic apps, Last.fm and AudioScrobbler clients sign in with this password, not your account password.</p>
      <form id="sub-form"><label for="sub-current">Account password</label><input id="sub-current" type="password" autocomplete="current-password" required>
      <label for="subpw">New app password (empty: generate one)</label><input id="subpw" type="password" autocomplete="new-password" minlength="8" maxlength="128">
      <button type="submit">Set app password</button> <button type="button" id="sub-reveal">Show app password</button></form>
      <p id="sub-shown" role="status"></p>
      <h3>Signed-in scrobblers</h3>
      <ul class="plain" id="scrobblers"></ul>
    </section>
    <section aria-labelledby="tok-h"><h2 id="tok-h">API tokens (ListenBrainz scrobblers)</h2>
      <ul class="plain" id="tokens"></ul>
      <form id="tok-form"><label for="tokname">Name</label><input id="tokname" required maxlength="100">
      <label for="tokscope">May be used for</label><select id="tokscope"><option value="listens">Scrobbling (ListenBrainz API) only</option><option value="subsonic">Subsonic apps only</option><option value="full">Everything (full access)</option></select>
      <button type="submit">Create token</button></form>
      <p id="newtoken" role="status"></p>
    </section>
    <p id="settings-status" role="status"></p>`.text;
  const status = main.querySelector('#settings-status');
  const say = (text) => { status.textContent = text; };
  const accent = localStorage.getItem('cadenza.accent') || 'blue';
  for (const radio of main.querySelectorAll('input[name=accent]')) {
    radio.checked = radio.value === accent;
    radio.addEventListener('change', () => {
      localStorage.setItem('cadenza.accent', radio.value);
      document.documentElement.dataset.accent = radio.value;
    });
  }
  const theme = main.querySelector('#theme');
  theme.value = localStorage.getItem('cadenza.theme') || 'system';
  theme.addEventListener('change', () => {
    localStorage.setItem('cadenza.theme', theme.value);
    document.documentElement.dataset.theme = theme.value;
  });
  main.querySelector('#pw-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const result = await api('/api/v1/me/password', { method: 'PUT', body: { currentPassword: main.querySelector('#pw-current').value,
        newPassword: main.querySelector('#pw-new').value, revokeScrobblers: main.querySelector('#pw-scrobblers').checked,
        revokeTokens: main.querySelector('#pw-tokens').checked } });
      event.target.reset();
      say(`Password changed. Signed out ${result.signedOutSessions} other session(s)` + (result.revokedTokens ? `, revoked ${result.revokedTokens} token(s).` : '.'));
      await loadTokens();
      setTimeout(loadScrobblers, 1000);
    } catch (error) { say(error.message); }
  });
  const shortcuts = main.querySelector('#shortcuts');
  shortcuts.checked = localStorage.getItem('cadenza.shortcuts') !== 'off';
  shortcuts.addEventListener('change', () => localStorage.setItem('cadenza.shortcuts', shortcuts.checked ? 'on' : 'off'));
  const loadTokens = async () => {
    const tokens = await api('/api/v1/tokens');
    main.querySelector('#tokens').innerHTML = tokens.map((t) => html`<li>${t.name} <code>${t.prefix}…</code> (${t.scope})
      <button type="button" data-revoke="${t.id}" aria-label="Revoke ${t.name}">Revoke</button></li>`.text).join('');
  };
  const loadScrobblers = async () => {
    const sessions = await api('/api/v1/me/scrobbler-sessions');
    main.querySelector('#scrobblers').innerHTML = sessions.length ? sessions.map((s) => html`<li>${s.protocol === 'lastfm' ? 'Last.fm' : 'AudioScrobbler'}
      since ${new Date(s.createdAt).toLocaleDateString()} <button type="button" data-signout="${s.id}">Sign out</button></li>`.text).join('') : '<li>None.</li>';
  };
  try {
    const settings = await api('/api/v1/me/listen-settings');
    main.querySelector('#tz').value = settings.timeZone;
    main.querySelector('#visibility').value = settings.visibility;
    main.querySelector('#share-recs').checked = settings.useForRecommendations;
    await loadTokens();
    await loadScrobblers();
  } catch (error) {
    status.innerHTML = errorMessage(error).text;
  }
  main.querySelector('#listen-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('/api/v1/me/listen-settings', { method: 'PUT', body: {
        timeZone: main.querySelector('#tz').value.trim(), visibility: main.querySelector('#visibility').value,
        useForRecommendations: main.querySelector('#share-recs').checked,
      } });
      say('Saved.');
    } catch (error) { say(error.message); }
  });
  main.querySelector('#sub-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const chosen = main.querySelector('#subpw').value;
      const result = await api('/api/v1/me/subsonic-password', { method: 'PUT', body: { currentPassword: main.querySelector('#sub-current').value,
        ...(chosen ? { password: chosen } : {}) } });
      main.querySelector('#sub-shown').textContent = chosen ? '' : `Your new app password: ${result.password}`;
      event.target.reset();
      say('App password set.');
    } catch (error) { say(error.message); }
  });
  main.querySelector('#sub-reveal').addEventListener('click', async () => {
    try {
      const result = await api('/api/v1/me/subsonic-password/reveal', { method: 'POST', body: { currentPassword: main.querySelector('#sub-current').value } });
      main.querySelector('#sub-shown').textContent = `Your app password: ${result.password}`;
    } catch (error) { say(error.message); }
  });
  main.querySelector('#scrobblers').addEventListener('click', async (event) => {
    const id = event.target.closest('[data-signout]')?.dataset.signout;
    if (!id) return;
    try { await api(`/api/v1/me/scrobbler-sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }); await loadScrobblers(); say('Scrobbler signed out.'); } catch (error) { say(error.message); }
  });
  main.querySelector('#tok-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const token = await api('/api/v1/tokens', { method: 'POST', body: { name: main.querySelector('#tokname').value, scope: main.querySelector('#tokscope').value } });
      main.querySelector('#newtoken').textContent = `New token (shown once): ${token.token}`;
      await loadTokens();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#tokens').addEventListener('click', async (event) => {
    const id = event.target.closest('[data-revoke]')?.dataset.revoke;
    if (!id) return;
    try { await api(`/api/v1/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }); await loadTokens(); say('Token revoked.'); } catch (error) { say(error.message); }
  });
}
