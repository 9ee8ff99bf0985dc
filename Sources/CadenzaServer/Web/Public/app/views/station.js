import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage, icon, placeholderArt } from '../components.js';
import { ago, duration } from '../format.js';
import { smartBlockForm } from './station-blocks.js';
import { entryEditor } from './station-entries.js';
import { stationWeek } from './station-week.js';

export const title = 'Station';

/// One station: listen in the browser, what airs now (with its progress and the show on air),
/// next and before, the week's shows; for its owner, skip, play next, shows and station
/// playlists, listener figures, the as-run log as CSV, and delete. Signed out, a public or
/// unlisted station's page is its public player, kept current by asking for what plays.
export async function render(main, { slug }) {
  const path = `/api/v1/stations/${encodeURIComponent(slug)}`;
  const signIn = html`<a class="button" id="sign-in" href="#/login?next=/radio/${encodeURIComponent(slug)}">Sign in</a>`;
  let station;
  try { station = await api(path); } catch (error) {
    // A private station is a 404 to a visitor, as it is to the API: sign in to see whether it is yours.
    main.innerHTML = html`<h1>Station</h1>${errorMessage(error)}${!store.state.me && error.status === 404 ? html`<p>${signIn}</p>` : ''}`.text;
    return undefined;
  }
  document.title = `${station.name} – Cadenza`;
  // A mount plays in any browser; HLS (live.m3u8) only where the browser plays HLS itself.
  const mount = station.mounts.find((m) => !m.endsWith('.m3u8')) || station.mounts[0];
  const me = store.state.me;
  // Its managers change it as its owner does; deleting it and naming managers are the owner's.
  const manages = station.canManage === true;
  const owns = Boolean(me && (me.role === 'admin' || String(me.id) === station.ownerId));
  const blocks = manages ? smartBlockForm(path, { say: (text) => say(text), saved: () => lists() }) : null;
  const picture = (url) => url ? html`<img class="art" id="station-art" src="${url}&size=300" alt="" width="200" height="200">` : placeholderArt(station.name, 'art');
  main.innerHTML = html`<header class="hero">${picture(station.artworkUrl)}<div>
      <p class="kind">Radio station</p><h1>${station.name}</h1>
      ${station.description ? html`<p>${station.description}</p>` : ''}
      <p class="facts"><span id="listeners">0 listeners</span><span>${station.visibility}</span></p>
      <p class="hero-actions"><button type="button" id="listen" class="primary" aria-pressed="false">${icon('play')} Listen</button>
        ${manages ? html`<button type="button" id="skip" class="ghost">${icon('next')} Skip</button>
        <a class="button ghost" id="as-run" href="${path}/history?format=csv" download>As-run log (CSV)</a>
        ${owns ? html`<button type="button" id="delete-station" class="ghost">Delete station</button>` : ''}` : ''}
        ${me ? '' : signIn}</p>
      <p class="muted">In any player: <a href="${mount}" id="mount-link">${location.origin}${mount}</a></p>
      ${me ? html`<p class="muted" id="personal-url">What you hear here becomes your listens; in another player, add <code>?token=</code> and one of your API tokens (Settings) to the address.</p>` : ''}
      <audio id="station-audio" preload="none"></audio>
    </div></header>
    <section aria-labelledby="np-h"><h2 id="np-h">On air</h2><div id="on-air" aria-live="polite"></div></section>
    <section aria-labelledby="next-h"><h2 id="next-h">Next</h2><ol class="plain" id="next"></ol></section>
    <section aria-labelledby="recent-h"><h2 id="recent-h">Recently played</h2><ol class="plain" id="recent"></ol></section>
    <section aria-labelledby="week-h"><h2 id="week-h">This week</h2>
      <p class="muted">Times in the station's zone, ${station.timeZone}. Between shows the rotation plays.${manages ? ' Drag a show to another day to move it there.' : ''}</p>
      <div class="week" id="week"></div></section>
    ${manages ? html`<section aria-labelledby="request-h"><h2 id="request-h">Play next</h2>
        <form id="request-form" class="row-form" role="search"><label for="request-q" class="visually-hidden">Find a track to play next</label>
          <input id="request-q" type="search" placeholder="Find a track" autocomplete="off" maxlength="200"> <button type="submit">Find</button></form>
        <ul class="plain" id="request-results"></ul></section>
      <section aria-labelledby="shows-h"><h2 id="shows-h">Shows</h2><ul class="plain" id="shows"></ul>
        <form id="show-form" class="show-form"><fieldset><legend id="show-legend">New show</legend>
          <label for="show-title">Title</label><input id="show-title" required maxlength="200">
          <label for="show-hosts">Hosts (comma-separated)</label><input id="show-hosts" maxlength="1100" autocomplete="off">
          <label for="show-description">Description</label><textarea id="show-description" maxlength="2000" rows="2"></textarea>
          <label for="show-playlist">Plays</label><select id="show-playlist"><option value="">The rotation</option></select>
          <label for="show-intro">Intro (from the station playlists)</label><select id="show-intro"><option value="">None</option></select>
          <label for="show-outro">Outro, ending with the show</label><select id="show-outro"><option value="">None</option></select>
          <label for="show-date">First date</label><input id="show-date" type="date" required>
          <label for="show-time">Starts at</label><input id="show-time" type="time" required>
          <label for="show-minutes">Minutes</label><input id="show-minutes" type="number" min="1" max="1440" value="60" required>
          <label for="show-repeat">Repeats</label><select id="show-repeat"><option value="once">Once</option><option value="daily">Every day</option>
            <option value="weekly" selected>Every week</option><option value="weekly-2">Every 2 weeks</option><option value="weekly-3">Every 3 weeks</option>
            <option value="weekly-4">Every 4 weeks</option><option value="monthly">Every month (same date)</option>
            <option value="monthly-weekday">Every month (same weekday)</option></select>
          <div id="show-days" role="group" aria-label="On these days">${['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => html`<label class="day"><input type="checkbox" value="${d}"> ${d}</label>`)}</div>
          <label for="show-until">Last date (empty: no end)</label><input id="show-until" type="date">
          <button type="submit" id="show-submit">Add show</button> <button type="button" id="show-cancel" class="ghost" hidden>Cancel</button></fieldset></form></section>
      <section aria-labelledby="lists-h"><h2 id="lists-h">Station playlists</h2><ul class="plain" id="station-lists"></ul><div id="entries"></div>
        <p class="muted">A playlist or smart block with a share of the rotation is what the autoDJ plays between shows (by share); with none, it plays the whole library.</p>
        <form id="list-form" class="row-form"><label for="list-source">Copy one of your playlists</label>
          <select id="list-source"></select> <button type="submit">Copy to the station</button></form>
        ${blocks.markup}</section>
      <section aria-labelledby="sound-h"><h2 id="sound-h">Sound and station IDs</h2>
        <form id="sound-form" class="show-form"><fieldset><legend>Sound and station IDs</legend>
          <label class="day"><input type="checkbox" id="sound-normalize" ${station.targetLufs != null ? 'checked' : ''}> Bring every track to one loudness</label>
          <label for="sound-target">Target loudness (LUFS, -30 to -10)</label><input id="sound-target" type="number" min="-30" max="-10" value="${station.targetLufs ?? -16}">
          <label for="sound-crossfade">Crossfade (ms)</label><input id="sound-crossfade" type="number" min="0" max="10000" value="${station.crossfadeMs}">
          <label for="sound-curve">Crossfade curve</label><select id="sound-curve">${[['equalPower', 'Equal power (loudness holds)'], ['linear', 'Linear'], ['sCurve', 'S-curve (each song stays full longer)']].map(([value, label]) => html`<option value="${value}" ${value === station.crossfadeCurve ? 'selected' : ''}>${label}</option>`)}</select>
          <label for="sound-bitrate">Bitrate of every output (kb/s; a change restarts the stream)</label><select id="sound-bitrate">${[...new Set([32, 48, 64, 96, 128, 160, 192, 256, 320, station.bitrate])].sort((a, b) => a - b).map((k) => html`<option value="${k}" ${k === station.bitrate ? 'selected' : ''}>${k}</option>`)}</select>
          <label for="sound-jingles">Station IDs from</label><select id="sound-jingles"><option value="">No station IDs</option></select>
          <label for="sound-every">One after every … songs (0: not by count)</label><input id="sound-every" type="number" min="0" max="100" value="${station.jingleEvery}">
          <label for="sound-minute">And once an hour, after minute (empty: not hourly)</label><input id="sound-minute" type="number" min="0" max="59" value="${station.jingleMinute ?? ''}">
          <label for="sound-fallback">When nothing else can air, loop (its first 30 seconds)</label><select id="sound-fallback"><option value="">A quiet tone</option></select>
          <label class="day"><input type="checkbox" id="sound-record" ${station.recordLive ? 'checked' : ''}> Record live sets into the library “${station.name} – live sets”</label>
          <button type="submit">Save</button></fieldset></form></section>
      <section aria-labelledby="settings-h"><h2 id="settings-h">Station</h2>
        <form id="settings-form" class="show-form"><fieldset><legend>Name, audience and outputs</legend>
          <label for="settings-name">Name</label><input id="settings-name" required maxlength="100" value="${station.name}">
          <label for="settings-description">Description</label><textarea id="settings-description" maxlength="2000" rows="3">${station.description}</textarea>
          <label for="settings-visibility">Who may listen</label><select id="settings-visibility">${[['public', 'Anyone (listed)'], ['unlisted', 'Anyone with the link'], ['private', 'Its owner, managers and administrators']].map(([value, label]) => html`<option value="${value}" ${value === station.visibility ? 'selected' : ''}>${label}</option>`)}</select>
          <label for="settings-zone">Time zone (shows and the calendar)</label><input id="settings-zone" required maxlength="64" value="${station.timeZone}" autocomplete="off" spellcheck="false">
          <div role="group" aria-label="Outputs">${[['mp3', 'MP3 mount'], ['aac', 'AAC mount'], ['hls', 'HLS']].map(([value, label]) => html`<label class="day"><input type="checkbox" name="settings-output" value="${value}" ${station.outputs.includes(value) ? 'checked' : ''}> ${label}</label>`)}</div>
          <p class="muted">A change of outputs or a narrower audience restarts the stream; the rest applies at once.</p>
          <button type="submit">Save</button></fieldset></form>
        ${me?.role === 'admin' ? html`<form id="relays-form" class="show-form"><fieldset><legend>Relays to other servers</legend>
          <div id="relays-now" aria-live="polite"></div>
          <label for="relays-urls">Relay as the source of (one per line, up to 4; saving replaces them all, with their passwords; empty stops them)</label>
          <textarea id="relays-urls" rows="3" maxlength="2010" autocomplete="off" spellcheck="false" placeholder="icecast://source:password@host:8000/radio.mp3&#10;shoutcast://:password@host:8000?format=aac"></textarea>
          <button type="submit">Save relays</button></fieldset></form>` : ''}
        <form id="art-form" class="row-form"><label for="art-file">Station picture (JPEG, PNG, WebP or GIF, up to 5 MB)</label>
          <input id="art-file" type="file" accept="image/jpeg,image/png,image/webp,image/gif" required> <button type="submit">Upload</button>
          <button type="button" id="art-remove" class="ghost">Remove picture</button></form>
        <form id="as-run-form" class="row-form"><label for="as-run-from">As-run log from</label> <input id="as-run-from" type="date" required>
          <label for="as-run-to">to</label> <input id="as-run-to" type="date" required> <button type="submit">Download CSV</button></form></section>
      <section aria-labelledby="people-h"><h2 id="people-h">People</h2>
        <form id="people-form" class="show-form"><fieldset><legend>Who runs the station</legend>
          <label for="people-managers">Managers: change it as its owner does, but not delete it (usernames, comma-separated)</label>
          <input id="people-managers" maxlength="1400" autocomplete="off" ${owns ? '' : 'readonly'}>
          <label for="people-djs">DJs: may go live with their own username and password</label>
          <input id="people-djs" maxlength="6600" autocomplete="off">
          <button type="submit">Save</button></fieldset></form></section>
      <section aria-labelledby="listeners-h"><h2 id="listeners-h">Listeners</h2><div id="listener-stats"></div></section>` : ''}
    <p id="station-status" role="status"></p>`.text;
  const audio = main.querySelector('#station-audio'), listen = main.querySelector('#listen');
  const say = (text) => { main.querySelector('#station-status').textContent = text; };
  let current = null, heardAfter = 0, shownAt = 0, latest = null, skew = 0;
  const pending = new Set();
  // Someone listening hears an item a few seconds after it airs (the mount's burst): the page
  // follows their ears, not the bus.
  const delayOf = (np) => (np.outputs || []).find((o) => o.path === mount)?.delayMs ?? 0;
  // The station's instants are on the server's clock: playedAt + elapsedMs was its time when it
  // answered, so a browser whose clock is off still shows each song when it is heard.
  const serverNow = () => Date.now() + skew;
  const learnClock = (np) => { if (np.nowPlaying) skew = Date.parse(np.nowPlaying.playedAt) + np.nowPlaying.elapsedMs - Date.now(); };
  const progress = () => {
    const box = main.querySelector('#on-air progress');
    if (!box || !current) return;
    const elapsed = Math.min(current.durationMs, serverNow() - Date.parse(current.playedAt) - heardAfter);
    box.value = Math.max(0, elapsed);
    main.querySelector('#on-air .elapsed').textContent = `${duration(Math.max(0, elapsed))} / ${duration(current.durationMs)}`;
  };
  let renders = 0;
  const show = async (np) => {
    // Two announcements shown at once (an item's and a play-next's) each fetch artwork: only
    // the later one may render, whichever fetch returns last.
    const mine = ++renders;
    latest = np;
    current = np.nowPlaying;
    heardAfter = audio.paused ? 0 : delayOf(np);
    main.querySelector('#listeners').textContent = `${np.listeners.current} listener${np.listeners.current === 1 ? '' : 's'}`;
    // The song's cover, served by the station to whoever may hear it (signed out too); without
    // one, the picture of the show on air, else the station's, else initials.
    const backdrop = np.artworkUrl ?? (np.show && showArt.get(np.show.id)) ?? station.artworkUrl;
    const cover = current?.song.trackId ? `${path}/tracks/${encodeURIComponent(current.song.trackId)}/artwork?size=300` : null;
    const fallback = backdrop ? `${backdrop}&size=300` : '';
    const art = cover || fallback ? html`<img class="art" id="np-art" src="${cover || fallback}" data-fallback="${cover ? fallback : ''}" alt="" width="120" height="120">`
      : placeholderArt(current ? current.song.title : station.name, 'art');
    if (mine !== renders) return;
    main.querySelector('#on-air').innerHTML = current ? html`<div class="on-air">${art}<div>
        ${np.show ? html`<p class="kind" id="np-show">${np.show.title} · until ${new Date(np.show.end).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</p>` : ''}
        <p class="np-title" id="np-title">${current.song.title}</p><p class="muted">${current.song.artist}</p>
        <progress max="${current.durationMs}" value="0" aria-label="Progress"></progress> <span class="elapsed muted"></span></div></div>`.text
      : html`<p class="muted">${np.onAir ? 'Starting…' : 'Off air.'}</p>`.text;
    const image = main.querySelector('#np-art');
    image?.addEventListener('error', () => {
      if (image.dataset.fallback) { image.src = image.dataset.fallback; image.dataset.fallback = ''; }
      else image.outerHTML = placeholderArt(current ? current.song.title : station.name, 'art').text;
    });
    progress();
    main.querySelector('#next').innerHTML = np.playingNext.map((s) => html`<li>${s.title} <span class="muted">— ${s.artist}</span></li>`.text).join('')
      || html`<li class="muted">Chosen as it goes.</li>`.text;
    main.querySelector('#recent').innerHTML = np.songHistory.map((s) => html`<li>${s.title} <span class="muted">— ${s.artist} · ${new Date(s.startedAt).toLocaleTimeString()}</span></li>`.text).join('')
      || html`<li class="muted">Nothing yet.</li>`.text;
  };
  // Each announcement is shown when its item is heard; one overtaken by a newer item is dropped.
  const present = (np) => {
    learnClock(np);
    if (!np.nowPlaying) { show(np); return; }   // off air, or starting: nothing to wait for
    const airedAt = Date.parse(np.nowPlaying.playedAt);
    const due = () => { if (airedAt >= shownAt) { shownAt = airedAt; show(np); } };
    const wait = audio.paused ? 0 : airedAt + delayOf(np) - serverNow();
    if (wait <= 0 || wait > 60_000) { due(); return; }
    const timer = setTimeout(() => { pending.delete(timer); due(); }, wait);
    pending.add(timer);
  };
  // Show pictures, for announcements on the event stream (which carry the show, not its picture).
  const showArt = new Map();
  const loadShowArt = async () => {
    try { for (const s of await api(`${path}/shows`)) showArt.set(s.id, s.artworkUrl); } catch (error) { /* the station's picture stands in */ }
  };
  await loadShowArt();
  const load = async () => {
    try {
      const np = await api(`${path}/now-playing`);
      polled = np;
      if (!audio.paused) { present(np); return; }
      learnClock(np);
      if (np.nowPlaying) shownAt = Date.parse(np.nowPlaying.playedAt);
      await show(np);
    } catch (error) { say(error.message); }
  };
  let polled = null, poller = null, left = false;
  await load();
  // Signed out there is no event stream: ask again when the song on air ends (within 2 to 15 s).
  const poll = () => {
    const np = polled?.nowPlaying;
    const remaining = np ? Date.parse(np.playedAt) + np.durationMs - serverNow() + 1000 : 15_000;
    poller = setTimeout(async () => { if (!document.hidden) await load(); if (!left) poll(); }, Math.min(15_000, Math.max(2_000, remaining)));
  };
  // A private station's announcements go to its owner alone: its managers (and administrators) ask too.
  if (!me || (station.visibility === 'private' && String(me.id) !== station.ownerId)) poll();
  const ticker = setInterval(progress, 1000);
  const statsTicker = setInterval(() => { if (!document.hidden) { showStats(); showRelays(); } }, 30_000);

  listen.addEventListener('click', () => {
    if (audio.paused) {
      // One thing plays at a time: the radio pauses the library player.
      document.querySelector('cz-player audio')?.pause();
      audio.src = mount;
      audio.play().catch((error) => say(error.message));
      listen.setAttribute('aria-pressed', 'true');
      listen.innerHTML = html`${icon('pause')} Stop`.text;
      heardAfter = latest ? delayOf(latest) : 0;
      progress();
    } else {
      audio.pause();
      audio.removeAttribute('src');
      audio.load();   // closes the connection: a paused live stream would only buffer
      listen.setAttribute('aria-pressed', 'false');
      listen.innerHTML = html`${icon('play')} Listen`.text;
      heardAfter = 0;
      progress();
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
        <tbody>${stats.days.map((d) => html`<tr><td>${d.day}</td><td>${d.listeningMinutes}</td><td>${d.peakListeners}</td></tr>`)}</tbody></table>
        ${stats.players.length ? html`<table class="tracks" id="listener-players"><thead><tr><th scope="col">Player (7 days)</th><th scope="col">Listening minutes</th></tr></thead>
        <tbody>${stats.players.map((p) => html`<tr><td>${p.agent || 'unknown'}</td><td>${p.listeningMinutes}</td></tr>`)}</tbody></table>` : ''}`.text;
    } catch (error) { box.textContent = error.message; }
  };
  await showStats();
  // Each relay: connected since when, or not and why (what its playout last said); asked again
  // every 5 s while one is not connected (new ones connect within seconds).
  let relaysTimer = null;
  const showRelays = async () => {
    const box = main.querySelector('#relays-now');
    if (!box) return;
    clearTimeout(relaysTimer);
    pending.delete(relaysTimer);
    try {
      const relays = await api(`${path}/relays`);
      if (relays.some((r) => r.connected !== true)) {
        relaysTimer = setTimeout(showRelays, 5000);
        pending.add(relaysTimer);
      }
      const state = (r) => r.connected === true ? `connected ${ago(Date.parse(r.since) / 1000)}`
        : r.connected === false ? `not connected${r.error ? `: ${r.error}` : ' yet'} (since ${ago(Date.parse(r.since) / 1000)})`
          : 'not known (the station is off the air, or its playout has not said yet)';
      box.innerHTML = relays.length
        ? html`<ul class="relays">${relays.map((r) => html`<li data-connected="${String(r.connected ?? '')}"><code>${r.url}</code>: ${state(r)}</li>`)}</ul>`.text
        : html`<p class="muted">Not relayed.</p>`.text;
    } catch (error) { box.textContent = error.message; }
  };
  await showRelays();
  // The week: a column per day from today, in the station's own time zone.
  const calendar = stationWeek(main.querySelector('#week'), { path, station, manages, say });
  const week = calendar.render;
  const repeats = { once: 'once', daily: 'every day', weekly: 'weekly', monthly: 'monthly' };
  let known = new Map();
  const shows = async () => {
    const box = main.querySelector('#shows');
    if (!box) return;
    try {
      const list = await api(`${path}/shows`);
      known = new Map(list.map((s) => [s.id, s]));
      box.innerHTML = list.map((s) => html`<li>${s.artworkUrl ? html`<img class="thumb" src="${s.artworkUrl}&size=64" alt="" width="32" height="32">` : ''}<strong>${s.title}</strong> <span class="muted">${s.startTime}, ${s.durationMinutes} min,
        ${s.repeat === 'weekly' && s.every > 1 ? `every ${s.every} weeks` : repeats[s.repeat]}${s.weekdays.length ? ` (${s.weekdays.join(', ')})` : ''}, from ${s.startDate}${s.until ? ` to ${s.until}` : ''}${s.hosts.length ? ` · with ${s.hosts.join(', ')}` : ''}</span>
        <button type="button" class="ghost" data-edit-show="${s.id}" aria-label="Edit the show ${s.title}">Edit</button>
        <label class="button ghost">Picture<input type="file" class="visually-hidden" data-show-art="${s.id}" accept="image/jpeg,image/png,image/webp,image/gif" aria-label="Picture for the show ${s.title}"></label>
        <button type="button" class="ghost" data-delete-show="${s.id}" aria-label="Delete the show ${s.title}">Delete</button></li>`.text).join('')
        || html`<li class="muted">No shows yet: the rotation plays all day.</li>`.text;
    } catch (error) { box.textContent = error.message; }
  };
  const lists = async () => {
    const box = main.querySelector('#station-lists');
    if (!box) return;
    try {
      const list = await api(`${path}/playlists`);
      box.innerHTML = list.map((p) => html`<li>${p.name} <span class="muted">${p.kind === 'smart' ? 'smart block' : `${p.entryCount} tracks`}</span>
        <label class="inline">share of the rotation <input type="number" class="weight" min="0" max="25" value="${p.rotationWeight}" data-weight="${p.id}"
          aria-label="Share of the rotation for ${p.name}"></label>
        ${p.kind === 'static' ? html`<button type="button" class="ghost" data-edit-list="${p.id}" aria-label="Cue points and fades of ${p.name}">Cue points</button>` : ''}
        <button type="button" class="ghost" data-delete-list="${p.id}" aria-label="Delete the station playlist ${p.name}">Delete</button></li>`.text).join('')
        || html`<li class="muted">No station playlists yet.</li>`.text;
      const select = main.querySelector('#show-playlist');
      select.innerHTML = html`<option value="">The rotation</option>${list.map((p) => html`<option value="${p.id}">${p.name}</option>`)}`.text;
      // Intros and outros: any track of the station's own playlists (where its jingles live).
      const details = await Promise.allSettled(list.filter((p) => p.kind === 'static').slice(0, 20).map((p) => api(`${path}/playlists/${p.id}`)));
      const entries = details.filter((d) => d.status === 'fulfilled').flatMap((d) => d.value.entries).filter((e) => e.title);
      const framing = [...new Map(entries.map((e) => [e.trackId, e])).values()];
      for (const id of ['#show-intro', '#show-outro']) {
        main.querySelector(id).innerHTML = html`<option value="">None</option>${framing.map((e) => html`<option value="${e.trackId}">${e.title}</option>`)}`.text;
      }
      // The fallback: any of those tracks (one set through the API stays offered as it is).
      const fallback = station.fallbackTrackId;
      const offered = fallback && !framing.some((e) => String(e.trackId) === fallback) ? [{ trackId: fallback, title: `Track ${fallback}` }, ...framing] : framing;
      main.querySelector('#sound-fallback').innerHTML = html`<option value="">A quiet tone</option>${offered.map((e) => html`<option value="${e.trackId}" ${String(e.trackId) === fallback ? 'selected' : ''}>${e.title}</option>`)}`.text;
      const jingles = main.querySelector('#sound-jingles');
      jingles.innerHTML = html`<option value="">No station IDs</option>${list.map((p) => html`<option value="${p.id}" ${String(station.jinglePlaylistId) === p.id ? 'selected' : ''}>${p.name}</option>`)}`.text;
      const mine = await api('/api/v1/playlists');
      main.querySelector('#list-source').innerHTML = mine.map((p) => html`<option value="${p.id}">${p.name} (${p.trackCount})</option>`.text).join('');
    } catch (error) { box.textContent = error.message; }
  };
  if (manages) {
    const form = main.querySelector('#show-form');
    const days = form.querySelector('#show-days');
    const repeatBox = form.querySelector('#show-repeat');
    const syncDays = () => { days.hidden = !repeatBox.value.startsWith('weekly'); };
    repeatBox.addEventListener('change', syncDays);
    // A new show: every control as the markup has it, from the next full hour today (station time).
    const defaults = () => {
      form.reset();
      const local = new Date().toLocaleString('sv-SE', { timeZone: station.timeZone });
      form.querySelector('#show-date').value = local.slice(0, 10);
      form.querySelector('#show-time').value = `${String((Number(local.slice(11, 13)) + 1) % 24).padStart(2, '0')}:00`;
      syncDays();
    };
    defaults();
    // The repeat menu's value for a show's rule, and the rule for a value.
    const variantOf = (s) => (s.repeat === 'weekly' && s.every > 1 ? `weekly-${s.every}` : s.repeat === 'monthly' && s.monthlyBy === 'weekday' ? 'monthly-weekday' : s.repeat);
    const ruleOf = (value) => {
      const [repeat, variant] = value.split('-');
      return { repeat, every: /^\d+$/.test(variant || '') ? Number(variant) : 1, monthlyBy: variant === 'weekday' ? 'weekday' : 'date' };
    };
    const value = (id) => form.querySelector(id).value;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const rule = ruleOf(repeatBox.value);
      const fields = {
        title: value('#show-title'), hosts: value('#show-hosts').split(',').map((n) => n.trim()).filter(Boolean),
        description: value('#show-description'), until: value('#show-until'), startDate: value('#show-date'),
        startTime: value('#show-time'), durationMinutes: Number(value('#show-minutes')),
        weekdays: rule.repeat === 'weekly' ? [...days.querySelectorAll('input:checked')].map((c) => c.value) : [],
        playlistId: value('#show-playlist'), introTrackId: value('#show-intro'), outroTrackId: value('#show-outro'),
      };
      const editing = form.dataset.editing;
      let body = { ...fields, ...rule };
      const s = editing && known.get(editing);
      if (s) {
        // Only what was changed: the show keeps what the form cannot say (its start's seconds,
        // every 2 days, the last weekday of the month).
        const was = {
          title: s.title, hosts: s.hosts, description: s.description, until: s.until || '', startDate: s.startDate,
          startTime: s.startTime.slice(0, 5), durationMinutes: s.durationMinutes, weekdays: s.weekdays,
          playlistId: s.playlistId || '', introTrackId: s.introTrackId || '', outroTrackId: s.outroTrackId || '',
        };
        body = Object.fromEntries(Object.entries(fields).filter(([key, v]) => JSON.stringify(v) !== JSON.stringify(was[key])));
        if (repeatBox.value !== variantOf(s)) Object.assign(body, rule);
      }
      try {
        if (editing) await api(`${path}/shows/${editing}`, { method: 'PATCH', body });
        else await api(`${path}/shows`, { method: 'POST', body });
        say(editing ? `${fields.title} saved.` : `${fields.title} added.`);
        endEdit();
        await shows(); await week();
      } catch (error) { say(error.message); }
    });
    // Editing a show fills the same form; saving changes every occurrence still to come.
    const endEdit = () => {
      delete form.dataset.editing;
      form.querySelector('#show-legend').textContent = 'New show';
      form.querySelector('#show-submit').textContent = 'Add show';
      form.querySelector('#show-cancel').hidden = true;
      defaults();
    };
    form.querySelector('#show-cancel').addEventListener('click', endEdit);
    // A choice the menu does not list (a rule or a track set through the API) is added, so it shows and stays.
    const choose = (select, choice, label) => {
      if (choice && ![...select.options].some((o) => o.value === choice)) select.add(new Option(label, choice));
      select.value = choice || '';
    };
    const edit = (s) => {
      form.dataset.editing = s.id;
      form.querySelector('#show-legend').textContent = `Edit ${s.title}`;
      form.querySelector('#show-submit').textContent = 'Save show';
      form.querySelector('#show-cancel').hidden = false;
      form.querySelector('#show-title').value = s.title;
      form.querySelector('#show-hosts').value = s.hosts.join(', ');
      form.querySelector('#show-description').value = s.description;
      form.querySelector('#show-date').value = s.startDate;
      form.querySelector('#show-time').value = s.startTime.slice(0, 5);
      form.querySelector('#show-minutes').value = s.durationMinutes;
      form.querySelector('#show-until').value = s.until || '';
      choose(repeatBox, variantOf(s), s.repeat === 'weekly' ? `Every ${s.every} weeks` : `${s.repeat} (as set)`);
      for (const box of days.querySelectorAll('input')) box.checked = s.weekdays.includes(box.value);
      syncDays();
      choose(form.querySelector('#show-playlist'), s.playlistId, `Playlist ${s.playlistId}`);
      choose(form.querySelector('#show-intro'), s.introTrackId, `Track ${s.introTrackId}`);
      choose(form.querySelector('#show-outro'), s.outroTrackId, `Track ${s.outroTrackId}`);
      form.querySelector('#show-title').focus();
    };
    main.querySelector('#shows').addEventListener('change', async (event) => {
      const id = event.target.dataset.showArt, file = event.target.files?.[0];
      if (!id || !file) return;
      try { const updated = await api(`${path}/shows/${id}/artwork`, { method: 'PUT', body: file }); showArt.set(id, updated.artworkUrl); say(`${updated.title} has a new picture.`); await shows(); }
      catch (error) { say(error.message); }
    });
    const setPicture = (url) => {
      main.querySelector('header.hero .art').outerHTML = picture(url).text;
      if (latest) show({ ...latest, artworkUrl: undefined });
    };
    main.querySelector('#art-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const file = main.querySelector('#art-file').files[0];
      if (!file) return;
      try { station = await api(`${path}/artwork`, { method: 'PUT', body: file }); setPicture(station.artworkUrl); say('The station has a new picture.'); }
      catch (error) { say(error.message); }
    });
    main.querySelector('#art-remove').addEventListener('click', async () => {
      try { await api(`${path}/artwork`, { method: 'DELETE' }); station = { ...station, artworkUrl: null }; setPicture(null); say('Picture removed.'); }
      catch (error) { say(error.message); }
    });
    main.querySelector('#shows').addEventListener('click', async (event) => {
      const editing = known.get(event.target.closest('button[data-edit-show]')?.dataset.editShow);
      if (editing) { edit(editing); return; }
      const id = event.target.closest('button[data-delete-show]')?.dataset.deleteShow;
      if (!id || !confirm('Delete this show and all its occurrences?')) return;
      try {
        await api(`${path}/shows/${id}`, { method: 'DELETE' });
        if (form.dataset.editing === id) endEdit();
        await shows(); await week();
      } catch (error) { say(error.message); }
    });
    main.querySelector('#list-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const id = main.querySelector('#list-source').value;
      if (!id) { say('You have no playlists to copy yet.'); return; }
      try {
        const source = await api(`/api/v1/playlists/${encodeURIComponent(id)}`);
        await api(`${path}/playlists`, { method: 'POST', body: { name: source.name, trackIds: source.tracks.map((t) => t.id) } });
        say(`${source.name} copied to the station.`);
        await lists();
      } catch (error) { say(error.message); }
    });
    blocks.attach(main.querySelector('#block-form'));
    main.querySelector('#station-lists').addEventListener('change', async (event) => {
      const id = event.target.dataset.weight;
      if (!id) return;
      try { await api(`${path}/playlists/${id}`, { method: 'PUT', body: { rotationWeight: Number(event.target.value) } }); say('The rotation changed.'); }
      catch (error) { say(error.message); }
    });
    main.querySelector('#sound-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const minute = main.querySelector('#sound-minute').value;
      const body = {
        normalize: main.querySelector('#sound-normalize').checked, crossfadeMs: Number(main.querySelector('#sound-crossfade').value),
        crossfadeCurve: main.querySelector('#sound-curve').value,
        bitrate: Number(main.querySelector('#sound-bitrate').value),
        jinglePlaylistId: main.querySelector('#sound-jingles').value, jingleEvery: Number(main.querySelector('#sound-every').value),
        jingleMinute: minute === '' ? -1 : Number(minute), recordLive: main.querySelector('#sound-record').checked,
        fallbackTrackId: main.querySelector('#sound-fallback').value,
      };
      if (body.normalize) body.targetLufs = Number(main.querySelector('#sound-target').value);
      try { station = await api(path, { method: 'PATCH', body }); say('Saved.'); } catch (error) { say(error.message); }
    });
    main.querySelector('#settings-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const outputs = [...main.querySelectorAll('input[name=settings-output]:checked')].map((box) => box.value);
      if (!outputs.length) { say('Choose at least one output.'); return; }
      const body = {
        name: main.querySelector('#settings-name').value, description: main.querySelector('#settings-description').value,
        visibility: main.querySelector('#settings-visibility').value, timeZone: main.querySelector('#settings-zone').value.trim(), outputs,
      };
      try {
        station = await api(path, { method: 'PATCH', body });
        main.querySelector('h1').textContent = station.name;
        document.title = `${station.name} – Cadenza`;
        say('Saved.');
      } catch (error) { say(error.message); }
    });
    main.querySelector('#relays-form')?.addEventListener('submit', async (event) => {
      event.preventDefault();
      const field = main.querySelector('#relays-urls');
      const pushUrls = field.value.split('\n').map((line) => line.trim()).filter(Boolean);
      try {
        station = await api(path, { method: 'PATCH', body: { pushUrls } });
        field.value = '';
        await showRelays();
        say('Saved.');
      } catch (error) { say(error.message); }
    });
    // A period's as-run log, by the station's own dates.
    main.querySelector('#as-run-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const from = main.querySelector('#as-run-from').value, to = main.querySelector('#as-run-to').value;
      if (to < from) { say('The period ends before it begins.'); return; }
      location.href = `${path}/history?format=csv&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    });
    // Who runs it: usernames as typed, saved as the server names them back.
    const names = (id) => main.querySelector(id).value.split(',').map((n) => n.trim()).filter(Boolean);
    const people = async () => {
      const [managers, djs] = await Promise.all([api(`${path}/managers`), api(`${path}/djs`)]);
      main.querySelector('#people-managers').value = managers.usernames.join(', ');
      main.querySelector('#people-djs').value = djs.usernames.join(', ');
    };
    people().catch((error) => say(error.message));
    main.querySelector('#people-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        if (owns) await api(`${path}/managers`, { method: 'PUT', body: { usernames: names('#people-managers') } });
        await api(`${path}/djs`, { method: 'PUT', body: { usernames: names('#people-djs') } });
        await people();
        say('Saved.');
      } catch (error) { say(error.message); }
    });
    const entries = entryEditor(main.querySelector('#entries'), { path, say, saved: () => lists() });
    main.querySelector('#station-lists').addEventListener('click', async (event) => {
      const edit = event.target.closest('button[data-edit-list]')?.dataset.editList;
      if (edit) { await entries.open(edit); return; }
      const id = event.target.closest('button[data-delete-list]')?.dataset.deleteList;
      if (!id || !confirm('Delete this station playlist? Shows that play it fall back to the rotation.')) return;
      try { await api(`${path}/playlists/${id}`, { method: 'DELETE' }); entries.closeIf(id); await lists(); } catch (error) { say(error.message); }
    });
  }
  await Promise.all([week(), shows(), lists()]);
  main.querySelector('#delete-station')?.addEventListener('click', async () => {
    if (!confirm(`Delete ${station.name} and its as-run log?`)) return;
    try { await api(path, { method: 'DELETE' }); location.hash = '#/radio'; } catch (error) { say(error.message); }
  });
  const onEvent = (event) => {
    const e = event.detail;
    if (e.type === 'station.now_playing' && e.payload.station === station.slug) { present(e.payload); showStats(); }
    if (e.type === 'station.schedule_changed' && e.payload.slug === station.slug) { week(); shows(); lists(); loadShowArt(); }
  };
  store.addEventListener('event', onEvent);
  store.addEventListener('reconnected', load);
  return () => {
    left = true;
    clearTimeout(poller);
    clearInterval(ticker);
    clearInterval(statsTicker);
    pending.forEach(clearTimeout);
    calendar.stop();
    audio.pause();
    audio.removeAttribute('src');
    store.removeEventListener('event', onEvent);
    store.removeEventListener('reconnected', load);
  };
}
