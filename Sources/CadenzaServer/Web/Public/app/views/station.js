import { api, artwork } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage, icon, placeholderArt } from '../components.js';
import { duration } from '../format.js';

export const title = 'Station';

/// One station: listen in the browser, what airs now (with its progress), next and before,
/// listeners; for its owner, skip, the as-run log as CSV, and delete.
export async function render(main, { slug }) {
  const path = `/api/v1/stations/${encodeURIComponent(slug)}`;
  let station;
  try { station = await api(path); } catch (error) { main.innerHTML = html`<h1>Station</h1>${errorMessage(error)}`.text; return undefined; }
  document.title = `${station.name} – Cadenza`;
  // A mount plays in any browser; HLS (live.m3u8) only where the browser plays HLS itself.
  const mount = station.mounts.find((m) => !m.endsWith('.m3u8')) || station.mounts[0];
  const me = store.state.me;
  const manages = me && (me.role === 'admin' || String(me.id) === station.ownerId);
  main.innerHTML = html`<header class="hero">${placeholderArt(station.name, 'art')}<div>
      <p class="kind">Radio station</p><h1>${station.name}</h1>
      ${station.description ? html`<p>${station.description}</p>` : ''}
      <p class="facts"><span id="listeners">0 listeners</span><span>${station.visibility}</span></p>
      <p class="hero-actions"><button type="button" id="listen" class="primary" aria-pressed="false">${icon('play')} Listen</button>
        ${manages ? html`<button type="button" id="skip" class="ghost">${icon('next')} Skip</button>
        <a class="button ghost" id="as-run" href="${path}/history?format=csv" download>As-run log (CSV)</a>
        <button type="button" id="delete-station" class="ghost">Delete station</button>` : ''}</p>
      <p class="muted">In any player: <a href="${mount}" id="mount-link">${location.origin}${mount}</a></p>
      <audio id="station-audio" preload="none"></audio>
    </div></header>
    <section aria-labelledby="np-h"><h2 id="np-h">On air</h2><div id="on-air" aria-live="polite"></div></section>
    <section aria-labelledby="next-h"><h2 id="next-h">Next</h2><ol class="plain" id="next"></ol></section>
    <section aria-labelledby="recent-h"><h2 id="recent-h">Recently played</h2><ol class="plain" id="recent"></ol></section>
    ${manages ? html`<section aria-labelledby="request-h"><h2 id="request-h">Play next</h2>
        <form id="request-form" class="row-form" role="search"><label for="request-q" class="visually-hidden">Find a track to play next</label>
          <input id="request-q" type="search" placeholder="Find a track" autocomplete="off" maxlength="200"> <button type="submit">Find</button></form>
        <ul class="plain" id="request-results"></ul></section>
      <section aria-labelledby="listeners-h"><h2 id="listeners-h">Listeners</h2><div id="listener-stats"></div></section>` : ''}
    <p id="station-status" role="status"></p>`.text;
  const audio = main.querySelector('#station-audio'), listen = main.querySelector('#listen');
  const say = (text) => { main.querySelector('#station-status').textContent = text; };
  let current = null;
  const progress = () => {
    const box = main.querySelector('#on-air progress');
    if (!box || !current) return;
    const elapsed = Math.min(current.durationMs, Date.now() - Date.parse(current.playedAt));
    box.value = Math.max(0, elapsed);
    main.querySelector('#on-air .elapsed').textContent = `${duration(Math.max(0, elapsed))} / ${duration(current.durationMs)}`;
  };
  const show = async (np) => {
    current = np.nowPlaying;
    main.querySelector('#listeners').textContent = `${np.listeners.current} listener${np.listeners.current === 1 ? '' : 's'}`;
    let art = placeholderArt(current ? current.song.title : station.name, 'art');
    if (current?.song.trackId) {
      try {
        const track = await api(`/api/v1/tracks/${encodeURIComponent(current.song.trackId)}`);
        if (track.artworkId) art = html`<img class="art" src="${artwork(track.artworkId, 300)}" alt="" width="120" height="120">`;
      } catch (error) { /* the placeholder stays */ }
    }
    main.querySelector('#on-air').innerHTML = current ? html`<div class="on-air">${art}<div>
        <p class="np-title" id="np-title">${current.song.title}</p><p class="muted">${current.song.artist}</p>
        <progress max="${current.durationMs}" value="0" aria-label="Progress"></progress> <span class="elapsed muted"></span></div></div>`.text
      : html`<p class="muted">${np.onAir ? 'Starting…' : 'Off air.'}</p>`.text;
    progress();
    main.querySelector('#next').innerHTML = np.playingNext.map((s) => html`<li>${s.title} <span class="muted">— ${s.artist}</span></li>`.text).join('')
      || html`<li class="muted">Chosen as it goes.</li>`.text;
    main.querySelector('#recent').innerHTML = np.songHistory.map((s) => html`<li>${s.title} <span class="muted">— ${s.artist} · ${new Date(s.startedAt).toLocaleTimeString()}</span></li>`.text).join('')
      || html`<li class="muted">Nothing yet.</li>`.text;
  };
  const load = async () => { try { await show(await api(`${path}/now-playing`)); } catch (error) { say(error.message); } };
  await load();
  const ticker = setInterval(progress, 1000);
  const statsTicker = setInterval(() => { if (!document.hidden) showStats(); }, 30_000);

  listen.addEventListener('click', () => {
    if (audio.paused) {
      // One thing plays at a time: the radio pauses the library player.
      document.querySelector('cz-player audio')?.pause();
      audio.src = mount;
      audio.play().catch((error) => say(error.message));
      listen.setAttribute('aria-pressed', 'true');
      listen.innerHTML = html`${icon('pause')} Stop`.text;
    } else {
      audio.pause();
      audio.removeAttribute('src');
      audio.load();   // closes the connection: a paused live stream would only buffer
      listen.setAttribute('aria-pressed', 'false');
      listen.innerHTML = html`${icon('play')} Listen`.text;
    }
  });
  main.querySelector('#skip')?.addEventListener('click', async () => {
    try { await api(`${path}/skip`, { method: 'POST' }); say('Skipped.'); } catch (error) { say(error.message); }
  });
  // Managers: find a track and put it next; listener figures.
  const results = main.querySelector('#request-results');
  let found = [];
  main.querySelector('#request-form')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = main.querySelector('#request-q').value.trim();
    if (!q) return;
    try {
      found = (await api(`/api/v1/search?q=${encodeURIComponent(q)}`)).tracks.slice(0, 10);
      results.innerHTML = found.map((t, i) => html`<li>${t.title} <span class="muted">— ${t.artist || ''}</span>
        <button type="button" data-request="${i}" aria-label="Play ${t.title} next on ${station.name}">${icon('play-next')} Play next</button></li>`.text).join('')
        || html`<li class="muted">No tracks found.</li>`.text;
    } catch (error) { say(error.message); }
  });
  results?.addEventListener('click', async (event) => {
    const track = found[Number(event.target.closest('button[data-request]')?.dataset.request)];
    if (!track) return;
    try { const song = await api(`${path}/next`, { method: 'POST', body: { trackId: track.id } }); say(`${song.title} plays next.`); await load(); }
    catch (error) { say(error.message); }
  });
  const showStats = async () => {
    const box = main.querySelector('#listener-stats');
    if (!box) return;
    try {
      const stats = await api(`${path}/listeners`);
      const now = Object.entries(stats.current).map(([output, n]) => `${output.toUpperCase()}: ${n}`).join(' · ') || 'none';
      box.innerHTML = html`<p>Now: ${now}</p>
        ${stats.userAgents.length ? html`<p class="muted">Players: ${stats.userAgents.map((a) => `${a.agent || 'unknown'} (${a.listeners})`).join(', ')}</p>` : ''}
        <table class="tracks" id="listener-days"><thead><tr><th scope="col">Day</th><th scope="col">Listening minutes</th><th scope="col">Peak</th></tr></thead>
        <tbody>${stats.days.map((d) => html`<tr><td>${d.day}</td><td>${d.listeningMinutes}</td><td>${d.peakListeners}</td></tr>`)}</tbody></table>`.text;
    } catch (error) { box.textContent = error.message; }
  };
  await showStats();
  main.querySelector('#delete-station')?.addEventListener('click', async () => {
    if (!confirm(`Delete ${station.name} and its as-run log?`)) return;
    try { await api(path, { method: 'DELETE' }); location.hash = '#/radio'; } catch (error) { say(error.message); }
  });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'station.now_playing' && e.payload.station === station.slug) { show(e.payload); showStats(); }
  };
  store.addEventListener('event', onEvent);
  store.addEventListener('reconnected', load);
  return () => {
    clearInterval(ticker);
    clearInterval(statsTicker);
    audio.pause();
    audio.removeAttribute('src');
    store.removeEventListener('event', onEvent);
    store.removeEventListener('reconnected', load);
  };
}
