import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage } from '../components.js';
import { ago } from '../format.js';

export const title = 'History';

const row = (l) => html`<li>${l.track_metadata.track_name} <span class="muted">— ${l.track_metadata.artist_name}${l.track_metadata.release_name ? `, ${l.track_metadata.release_name}` : ''} · ${l.user_name} · ${ago(l.listened_at)}</span></li>`;

export async function render(main) {
  const name = encodeURIComponent(store.state.me.username);
  main.innerHTML = html`<h1>Listening history</h1>
    <section aria-labelledby="now-h"><h2 id="now-h">Playing now</h2><ul class="plain" id="now" aria-live="polite"></ul></section>
    <section aria-labelledby="listens-h"><h2 id="listens-h">Listens</h2><p id="count" class="muted"></p><ol class="plain" id="listens">Loading…</ol></section>`.text;
  const list = main.querySelector('#listens');
  const load = async () => {
    try {
      const [listens, count, playing] = await Promise.all([
        api(`/1/user/${name}/listens?count=50`), api(`/1/user/${name}/listen-count`), api(`/1/user/${name}/playing-now`)]);
      list.innerHTML = listens.payload.listens.map((l) => row(l).text).join('') || html`<li class="muted">No listens yet.</li>`.text;
      main.querySelector('#count').textContent = `${count.payload.count} listens in all`;
      const now = playing.payload.listens[0];
      if (now) main.querySelector('#now').innerHTML = html`<li data-user="${now.user_name}">${now.user_name}: ${now.track_metadata.track_name} — ${now.track_metadata.artist_name}</li>`.text;
    } catch (error) {
      list.innerHTML = errorMessage(error).text;
    }
  };
  await load();
  // Live: listens and playing-now of this user and of whom they follow arrive on the event stream.
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'listen') {
      list.querySelector('.muted:only-child')?.remove();
      list.insertAdjacentHTML('afterbegin', row(e.payload).text);
    } else if (e.type === 'playing_now') {
      const now = main.querySelector('#now');
      now.querySelector(`[data-user="${CSS.escape(e.payload.user_name)}"]`)?.remove();
      now.insertAdjacentHTML('afterbegin', html`<li data-user="${e.payload.user_name}">${e.payload.user_name}: ${e.payload.track_metadata.track_name} — ${e.payload.track_metadata.artist_name}</li>`.text);
    }
  };
  store.addEventListener('event', onEvent);
  store.addEventListener('reconnected', load);   // after an outage: what the stream could not deliver
  return () => { store.removeEventListener('event', onEvent); store.removeEventListener('reconnected', load); };
}
