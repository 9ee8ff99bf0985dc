import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage, placeholderArt } from '../components.js';

export const title = 'Radio';

const VISIBILITY = [['public', 'Public: anyone may listen'], ['unlisted', 'Unlisted: anyone with the link'], ['private', 'Private: only you']];

/// Stations listed to the user, each with what it airs now (kept current by the event stream),
/// and a form to start one.
export async function render(main) {
  main.innerHTML = html`<h1>Radio</h1>
    <ul class="grid" id="stations" aria-live="polite"><li class="muted">Loading…</li></ul>
    <section aria-labelledby="new-station-h"><h2 id="new-station-h">Start a station</h2>
      <p class="muted">It goes on air at once with a rotation of the music you may see.</p>
      <form id="new-station" class="stack-form">
        <label for="st-name">Name</label><input id="st-name" required maxlength="100" autocomplete="off">
        <label for="st-slug">Address</label><input id="st-slug" required pattern="[a-z0-9][a-z0-9\\-]{1,39}" maxlength="40" autocomplete="off"
          aria-describedby="st-slug-hint"><span id="st-slug-hint" class="muted">Lower-case letters, digits and hyphens: /listen/<b>address</b>/radio.mp3</span>
        <label for="st-visibility">Who may listen</label>
        <select id="st-visibility">${VISIBILITY.map(([v, label]) => html`<option value="${v}">${label}</option>`)}</select>
        <p><button type="submit" class="primary">Start the station</button></p>
        <p id="st-status" role="status"></p>
      </form></section>`.text;
  const list = main.querySelector('#stations');
  const nowText = new Map();
  const show = (stations) => {
    list.innerHTML = stations.length ? stations.map((s) => html`<li class="card station-card" data-slug="${s.slug}">
        <a href="#/radio/${s.slug}"><span class="art">${s.artworkUrl ? html`<img src="${s.artworkUrl}&size=300" alt="" loading="lazy">` : placeholderArt(s.name)}</span><span class="name">${s.name}</span></a>
        <span class="sub" data-now>${nowText.get(s.slug) || s.description || ''}</span></li>`).join('')
      : html`<li class="muted">No stations yet. Start one below.</li>`.text;
  };
  let stations = [];
  const load = async () => {
    try {
      stations = await api('/api/v1/stations');
      show(stations);
      await Promise.all(stations.map(async (s) => {
        try {
          const np = await api(`/api/v1/stations/${encodeURIComponent(s.slug)}/now-playing`);
          if (np.nowPlaying) nowText.set(s.slug, np.nowPlaying.song.text);
        } catch (error) { /* shown without what it plays */ }
      }));
      show(stations);
    } catch (error) { list.innerHTML = html`<li>${errorMessage(error)}</li>`.text; }
  };
  await load();
  main.querySelector('#st-name').addEventListener('input', (event) => {
    const slug = main.querySelector('#st-slug');
    if (!slug.dataset.edited) slug.value = event.target.value.toLowerCase().normalize('NFD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  });
  main.querySelector('#st-slug').addEventListener('input', (event) => { event.target.dataset.edited = '1'; });
  main.querySelector('#new-station').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: main.querySelector('#st-name').value, slug: main.querySelector('#st-slug').value, visibility: main.querySelector('#st-visibility').value };
    try {
      const station = await api('/api/v1/stations', { method: 'POST', body });
      location.hash = `#/radio/${station.slug}`;
    } catch (error) { main.querySelector('#st-status').textContent = error.message; }
  });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'station.now_playing' && e.payload.nowPlaying) {
      nowText.set(e.payload.station, e.payload.nowPlaying.song.text);
      const cell = list.querySelector(`[data-slug="${CSS.escape(e.payload.station)}"] [data-now]`);
      if (cell) cell.textContent = e.payload.nowPlaying.song.text;
    } else if (['station.created', 'station.deleted', 'station.updated'].includes(e.type)) load();
  };
  store.addEventListener('event', onEvent);
  return () => store.removeEventListener('event', onEvent);
}
