import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage } from '../components.js';
import { ago } from '../format.js';

export const title = 'History';

// Your listens and those of the people you follow (GET /api/v1/me/feed), kept current by the
// event stream; "Playing now" holds one entry per user until their next one or the track's end.
const meta = (l) => l.track_metadata || {};
const row = (l) => html`<li>${meta(l).track_name} <span class="muted">— ${meta(l).artist_name}${meta(l).release_name ? `, ${meta(l).release_name}` : ''} · ${l.user_name} · ${ago(l.listened_at)}</span></li>`;
const key = (l) => `${l.user_name}\n${l.listened_at}\n${meta(l).track_name}`;
const lasts = (l) => Number(meta(l).additional_info?.duration_ms) || 10 * 60_000;
const MAX_ROWS = 200;

export async function render(main) {
  main.innerHTML = html`<h1>Listening history</h1>
    <section aria-labelledby="people-h"><h2 id="people-h">People you follow</h2>
      <form id="follow-form" class="row-form"><label for="follow-name">Follow a user</label>
        <input id="follow-name" required maxlength="300" autocomplete="off" placeholder="username or @name@other.server"> <button type="submit">Follow</button></form>
      <p id="follow-status" role="status"></p>
      <ul class="plain" id="following"></ul></section>
    <section aria-labelledby="now-h"><h2 id="now-h">Playing now</h2><ul class="plain" id="now" aria-live="polite"></ul></section>
    <section aria-labelledby="listens-h"><h2 id="listens-h">Listens</h2>
      <p class="muted">Yours and those of the people you follow, newest first.</p><ol class="plain" id="listens">Loading…</ol></section>`.text;
  const list = main.querySelector('#listens'), now = main.querySelector('#now'), input = main.querySelector('#follow-name');
  const say = (text) => { main.querySelector('#follow-status').textContent = text; };
  const seen = new Set();
  const timers = new Map();

  const showFollowing = (names) => {
    main.querySelector('#following').innerHTML = names.length ? names.map((n) => html`<li>${n}
      <button type="button" data-unfollow="${n}" aria-label="Unfollow ${n}">Unfollow</button></li>`.text).join('')
      : html`<li class="muted">You follow nobody yet.</li>`.text;
  };
  const addListen = (l, atTop) => {
    if (seen.has(key(l))) return;
    seen.add(key(l));
    list.querySelector('.muted:only-child')?.remove();
    list.insertAdjacentHTML(atTop ? 'afterbegin' : 'beforeend', row(l).text);
    while (list.children.length > MAX_ROWS) list.lastElementChild.remove();
  };
  const entryOf = (user) => [...now.children].find((li) => li.dataset.user === user);
  const playing = (l) => {
    entryOf(l.user_name)?.remove();
    clearTimeout(timers.get(l.user_name));
    now.insertAdjacentHTML('afterbegin', html`<li data-user="${l.user_name}">${l.user_name}: ${meta(l).track_name} — ${meta(l).artist_name}</li>`.text);
    timers.set(l.user_name, setTimeout(() => { entryOf(l.user_name)?.remove(); timers.delete(l.user_name); }, lasts(l)));
  };
  const load = async () => {
    try {
      const feed = await api('/api/v1/me/feed?count=50');
      showFollowing(feed.following || []);
      seen.clear();
      list.innerHTML = '';
      (feed.listens || []).forEach((l) => addListen(l, false));
      if (!list.children.length) list.innerHTML = html`<li class="muted">No listens yet.</li>`.text;
      timers.forEach(clearTimeout);
      timers.clear();
      now.innerHTML = '';
      [...(feed.playingNow || [])].reverse().forEach(playing);
    } catch (error) {
      list.innerHTML = html`<li>${errorMessage(error)}</li>`.text;
    }
  };
  await load();

  const change = async (name, follow) => {
    try {
      if (follow && /^@[^@\s]+@[^@\s]+$/.test(name)) {
        // Someone on another server: asked there, answered by their server.
        const remote = await api('/api/v1/federation/follows', { method: 'POST', body: { target: name } });
        say(remote.status === 'approved' ? `You follow ${remote.remote}.` : `Asked to follow ${remote.remote}; see Other servers for the answer.`);
        return true;
      }
      const { following } = await api(`/api/v1/follows/${encodeURIComponent(name)}`, { method: follow ? 'PUT' : 'DELETE' });
      showFollowing(following);
      say(follow ? `You follow ${name} now.` : `You no longer follow ${name}.`);
      await load();   // their listens so far come in, or go
      return true;
    } catch (error) {
      say(error.message);   // "User not found.", "You cannot follow yourself."
      return false;
    }
  };
  main.querySelector('#follow-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name && await change(name, true)) input.value = '';
    input.focus();
  });
  main.querySelector('#following').addEventListener('click', async (event) => {
    const name = event.target.closest('button[data-unfollow]')?.dataset.unfollow;
    if (!name) return;
    await change(name, false);
    input.focus();   // the button is gone
  });

  // Live: listens and playing-now of this user and of whom they follow arrive on the event stream.
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'listen' || e.type === 'listen.remote') addListen(e.payload, true);
    else if (e.type === 'playing_now') playing(e.payload);
  };
  store.addEventListener('event', onEvent);
  store.addEventListener('reconnected', load);   // after an outage: what the stream could not deliver
  return () => {
    store.removeEventListener('event', onEvent);
    store.removeEventListener('reconnected', load);
    timers.forEach(clearTimeout);
  };
}
