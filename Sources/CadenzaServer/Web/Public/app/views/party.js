import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { cover, errorMessage, icon } from '../components.js';
import { duration } from '../format.js';

export const title = 'Jukebox';

/// `#/party`: your rooms and a form to open one. `#/party/SLUG?code=…`: the room, made for
/// phones: join by name (no account needed), what plays with its progress, the queue with
/// votes and scores, search and suggest; the host adds the join link, the controls and the
/// player: this page as the speaker (each song leaves the queue only once it really started), or
/// the room's stream, which the server plays for any player; the stage is the full-screen view
/// for the party's screen (big artwork, what comes next, the QR code to join).
export async function render(main, { slug, query }) {
  if (!slug) return rooms(main);
  const base = `/api/v1/rooms/${encodeURIComponent(slug)}`;
  let room;
  try {
    room = await api(base);
  } catch (error) {
    if (error.status !== 403 && error.code !== 'not_joined') { main.innerHTML = html`<h1>Jukebox</h1>${errorMessage(error)}`.text; return undefined; }
    return joinForm(main, { slug, base, code: query?.get('code') || '' });
  }
  return roomView(main, { base, room });
}

async function rooms(main) {
  main.innerHTML = html`<h1>Jukebox</h1>
    <p class="muted">Open a room for a party: guests join from their phones with the link, suggest songs and vote; the queue plays by score.</p>
    <ul class="plain" id="rooms"><li class="muted">Loading…</li></ul>
    <section aria-labelledby="new-room-h"><h2 id="new-room-h">Open a room</h2>
      <form id="new-room" class="stack-form">
        <label for="room-name">Name</label><input id="room-name" required maxlength="100" autocomplete="off">
        <label for="room-slug">Address</label><input id="room-slug" required pattern="[a-z0-9][a-z0-9\\-]{1,39}" maxlength="40" autocomplete="off">
        <p><button type="submit" class="primary">Open the room</button></p><p id="room-status" role="status"></p>
      </form></section>`.text;
  const list = main.querySelector('#rooms');
  try {
    const mine = await api('/api/v1/rooms');
    list.innerHTML = mine.map((r) => html`<li><a href="#/party/${r.slug}">${r.name}</a>${r.closed ? html` <span class="muted">(closed)</span>` : ''}</li>`.text).join('')
      || html`<li class="muted">No rooms yet.</li>`.text;
  } catch (error) { list.textContent = error.message; }
  const name = main.querySelector('#room-name'), slugInput = main.querySelector('#room-slug');
  name.addEventListener('input', () => {
    slugInput.value = name.value.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  });
  main.querySelector('#new-room').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const room = await api('/api/v1/rooms', { method: 'POST', body: { name: name.value, slug: slugInput.value } });
      location.hash = `#/party/${room.slug}`;
    } catch (error) { main.querySelector('#room-status').textContent = error.message; }
  });
  return undefined;
}

function joinForm(main, { slug, base, code }) {
  const me = store.state.me;
  main.innerHTML = html`<div class="narrow"><h1>Join the party</h1>
    <form id="join-room" class="stack-form">
      ${me ? html`<p>You join as ${me.username}.</p>` : html`<label for="guest-name">Your name</label><input id="guest-name" required maxlength="40" autocomplete="nickname">`}
      <label for="join-code">Code from the link</label><input id="join-code" required maxlength="100" value="${code}" autocomplete="off">
      <p><button type="submit" class="primary">Join</button></p><p id="join-status" role="status"></p>
    </form></div>`.text;
  main.querySelector('#join-room').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api(`${base}/join`, { method: 'POST', body: { name: main.querySelector('#guest-name')?.value || '', code: main.querySelector('#join-code').value } });
      location.hash = `#/party/${slug}`;
      if (location.hash === `#/party/${slug}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) { main.querySelector('#join-status').textContent = error.message; }
  });
  return undefined;
}

function roomView(main, { base, room: first }) {
  let room = first;
  document.title = `${room.name} – Cadenza`;
  let link = room.joinUrl || '';
  main.innerHTML = html`<header class="party-head"><p class="kind">Jukebox</p><h1>${room.name}</h1>
      ${room.me ? html`<p class="muted">You are ${room.me.name}.</p>` : ''}
      ${room.me && room.me.sharesListens != null && !room.host ? html`<p><label class="day"><input type="checkbox" id="share-listens" ${room.me.sharesListens ? 'checked' : ''}>
        Add the songs played here to my listens (for the next 12 hours)</label></p>` : ''}
      ${room.host ? html`<div class="party-invite"><img id="join-qr" class="join-qr" src="${base}/qr.svg" alt="QR code of the join link" width="168" height="168">
        <p>Guests scan the code or open <a id="join-link" href="${link}">${link}</a><br>
          <button type="button" id="copy-link" class="ghost">Copy the link</button> <button type="button" id="new-link" class="ghost">New link</button></p></div>
        <p><label for="playback">Plays on</label> <select id="playback">
          <option value="speaker" ${room.settings.playback === 'speaker' ? 'selected' : ''}>this page (speaker)</option>
          <option value="stream" ${room.settings.playback === 'stream' ? 'selected' : ''}>its stream (any player)</option></select>
          <button type="button" id="stage-open" class="ghost">Full screen</button></p>
        <p class="hero-actions"><button type="button" id="speaker" class="primary" aria-pressed="false">${icon('play')} Play here (speaker)</button>
          <button type="button" id="pause" class="ghost">${icon('pause')} Pause</button>
          <button type="button" id="skip-song" class="ghost">${icon('next')} Skip</button>
          <button type="button" id="clear-queue" class="ghost">Clear the queue</button>
          <label class="day"><input type="checkbox" id="lock" ${room.settings.locked ? 'checked' : ''}> Suggestions closed</label>
          <label class="day"><input type="checkbox" id="autoplay" ${room.settings.autoplay ? 'checked' : ''}> Autoplay when the queue is empty</label></p>
        <audio id="speaker-audio" preload="auto"></audio>` : ''}
      <div id="stream-box"></div>
    </header>
    <div id="stage" class="party-stage" hidden role="dialog" aria-label="${room.name}, full screen">
      <div id="stage-now"></div>
      ${room.host ? html`<div class="stage-join"><img id="stage-qr" class="join-qr" src="${base}/qr.svg" alt="QR code of the join link" width="220" height="220">
        <p>Scan to join and vote</p></div>` : ''}
      <button type="button" id="stage-close" class="ghost">Leave full screen</button>
    </div>
    <section aria-labelledby="np-h"><h2 id="np-h">Playing</h2><div id="playing" aria-live="polite"></div></section>
    <section aria-labelledby="queue-h"><h2 id="queue-h">Up next</h2><ol class="plain party-queue" id="queue"></ol></section>
    <section aria-labelledby="suggest-h"><h2 id="suggest-h">Suggest a song</h2>
      <form id="suggest-form" class="row-form" role="search"><label for="suggest-q" class="visually-hidden">Find a song</label>
        <input id="suggest-q" type="search" placeholder="Find a song" maxlength="200" autocomplete="off"> <button type="submit">Find</button></form>
      <ul class="plain" id="suggest-results"></ul></section>
    ${room.host ? html`<details><summary>Banned songs</summary><ul class="plain" id="banned"></ul></details>
    <details id="room-settings"><summary>Room settings</summary>
      <form id="settings-form" class="stack-form">
        <label for="set-interactivity">Guests may</label>
        <select id="set-interactivity">
          <option value="full_control">vote, and play, pause and skip</option>
          <option value="full_voting">vote songs up and down</option>
          <option value="upvotes_only">vote songs up only</option>
          <option value="no_control">only suggest songs</option></select>
        <label for="set-remove">Downvotes that take a queued song out</label><input id="set-remove" type="number" min="1" max="100" required>
        <label for="set-skip">Downvotes that skip the song playing</label><input id="set-skip" type="number" min="1" max="100" required>
        <label for="set-per-guest">Songs one guest may have waiting (0: no limit)</label><input id="set-per-guest" type="number" min="0" max="500" required>
        <label for="set-cooldown">Minutes before a song may play again (0: only not twice in the queue)</label><input id="set-cooldown" type="number" min="0" max="10080" required>
        <label for="set-max-queue">Songs the queue holds at most (0: no limit)</label><input id="set-max-queue" type="number" min="0" max="5000" required>
        <label for="set-words">Words a song's title, artist or album must not contain (one per line)</label><textarea id="set-words" rows="3" maxlength="6200"></textarea>
        <p><label class="day"><input type="checkbox" id="set-new-only"> New music only: nothing this room played before</label></p>
        <p><label class="day"><input type="checkbox" id="set-accounts"> Guests join with an account only</label></p>
        <p><button type="submit" class="primary">Save the settings</button></p><p id="settings-status" role="status"></p>
      </form></details>` : html`<p class="hero-actions" id="guest-controls" hidden>
        <button type="button" id="guest-pause" class="ghost">${icon('pause')} Pause or play</button>
        <button type="button" id="guest-skip" class="ghost">${icon('next')} Skip</button></p>`}
    <p id="room-status" role="status"></p>`.text;
  const say = (text) => { main.querySelector('#room-status').textContent = text; };
  const describe = (t) => t ? html`${t.title} <span class="muted">— ${t.artist}</span>` : html`<span class="muted">(not available)</span>`;
  const show = () => {
    const np = room.nowPlaying;
    main.querySelector('#playing').innerHTML = np ? html`<p class="np-title" id="party-now">${describe(np.track)}</p>
        <progress max="${np.track?.durationMs || 1}" value="${np.elapsedMs}" aria-label="Progress"></progress>
        <span class="muted">${duration(np.elapsedMs)}${np.paused ? ' · paused' : ''}</span> ${voteButtons(np)}`.text
      : html`<p class="muted">Nothing is playing.${room.host ? ' Press “Play here” on the speaker.' : ''}</p>`.text;
    main.querySelector('#queue').innerHTML = room.queue.map((e) => html`<li data-entry="${e.entryId}">
        <span class="score" aria-label="Score ${e.score}">${e.score}</span> ${describe(e.track)}
        ${e.suggestedBy ? html`<span class="muted"> · ${e.mine ? 'you' : e.suggestedBy}</span>` : e.autoplay ? html`<span class="muted"> · picked by the room</span>` : ''} ${voteButtons(e)}
        ${e.pinned ? html`<span class="muted"> · next</span>` : ''}
        ${room.host ? html`<button type="button" class="ghost" data-top="${e.entryId}" aria-label="Play ${e.track?.title || 'this song'} next">Play next</button>
          <button type="button" class="ghost" data-remove="${e.entryId}" aria-label="Remove ${e.track?.title || 'this song'}">Remove</button>
          ${e.track ? html`<button type="button" class="ghost" data-ban="${e.track.id}" aria-label="Ban ${e.track.title} from the room">Ban</button>` : ''}` : ''}</li>`.text).join('')
      || html`<li class="muted">The queue is empty: suggest something.</li>`.text;
    const bans = main.querySelector('#banned');
    if (bans) {
      bans.innerHTML = (room.bannedTracks || []).map((t) => html`<li>${describe(t)} <button type="button" class="ghost" data-unban="${t.id}" aria-label="Allow ${t.title} again">Allow again</button></li>`.text).join('')
        || html`<li class="muted">No songs are banned.</li>`.text;
    }
    // The code changed elsewhere (a new link from another device, or a banned guest): the link
    // and the QR code here follow, so nobody is shown one that no longer lets them in.
    if (room.host && room.joinUrl && room.joinUrl !== link) {
      link = room.joinUrl;
      const anchor = main.querySelector('#join-link');
      anchor.href = link; anchor.textContent = link;
      main.querySelector('#join-qr').src = `${base}/qr.svg?v=${Date.now()}`;
    }
    const speakerAudio = main.querySelector('#speaker-audio');
    if (speakerAudio) speakerAudio.volume = Math.min(1, Math.max(0, room.settings.gain ?? 1));
    const speakerButton = main.querySelector('#speaker');
    if (speakerButton) speakerButton.hidden = room.settings.playback === 'stream';
    // The stream: its link for players (the host's carries the code), and a player here.
    const guestControls = main.querySelector('#guest-controls');
    if (guestControls) guestControls.hidden = room.settings.interactivity !== 'full_control';
    const playbackSelect = main.querySelector('#playback');
    if (playbackSelect && document.activeElement !== playbackSelect) playbackSelect.value = room.settings.playback;
    const streamBox = main.querySelector('#stream-box');
    const streamAudio = streamBox.querySelector('#stream-audio');
    if (room.streamUrl && streamAudio && !streamAudio.paused && room.streamUrl !== streamBox.dataset.url) {
      // A new link (the code changed) while the stream plays here: the link follows, the
      // player keeps what it is playing.
      streamBox.dataset.url = room.streamUrl;
      const anchor = streamBox.querySelector('#stream-link');
      if (anchor) anchor.href = room.streamUrl;
    } else if ((room.streamUrl || '') !== (streamBox.dataset.url || '')) {
      streamBox.dataset.url = room.streamUrl || '';
      streamBox.innerHTML = room.streamUrl ? html`<p>The room plays on its stream${room.host ? html`: open <a id="stream-link" href="${room.streamUrl}">this link</a> in any player or smart speaker` : ''}.</p>
        <audio id="stream-audio" controls preload="none" src="${room.streamUrl}"></audio>`.text : '';
    }
    const upNext = room.queue[0];
    const stageNow = main.querySelector('#stage-now');
    const stageKey = `${np?.entryId}|${upNext?.entryId}|${upNext?.track?.id}`;
    if (stageNow.dataset.key === stageKey) {
      // The same song: only its progress moves (the artwork is not drawn again on every vote).
      const bar = stageNow.querySelector('progress');
      if (bar && np) bar.value = np.elapsedMs;
      return;
    }
    stageNow.dataset.key = stageKey;
    stageNow.innerHTML = np ? html`${cover({ artworkId: np.track?.artworkId, title: np.track?.album || np.track?.title }, 600, 'stage-art')}
        <p class="stage-title">${np.track?.title || ''}</p><p class="stage-artist">${np.track?.artist || ''}</p>
        <progress max="${np.track?.durationMs || 1}" value="${np.elapsedMs}" aria-label="Progress"></progress>
        ${upNext ? html`<p class="stage-next">Next: ${upNext.track?.title || ''} — ${upNext.track?.artist || ''}</p>` : ''}`.text
      : html`<p class="stage-title">${room.name}</p><p class="stage-artist">Suggest a song to start the party.</p>`.text;
  };
  const voteButtons = (e) => {
    // A vote the room no longer takes can still be taken back (its button stays, pressed).
    const level = room.settings.interactivity;
    const up = room.host || level !== 'no_control' || e.myVote === 1;
    const down = room.host || level === 'full_voting' || level === 'full_control' || e.myVote === -1;
    if (!up && !down) return '';
    return html`<span class="votes">
      ${up ? html`<button type="button" class="icon-btn" data-vote="${e.entryId}" data-value="${e.myVote === 1 ? 0 : 1}" aria-pressed="${e.myVote === 1}" aria-label="Vote up ${e.track?.title || ''}">${icon('up')}</button>` : ''}
      ${down ? html`<button type="button" class="icon-btn" data-vote="${e.entryId}" data-value="${e.myVote === -1 ? 0 : -1}" aria-pressed="${e.myVote === -1}" aria-label="Vote down ${e.track?.title || ''}">${icon('down')}</button>` : ''}</span>`;
  };
  // One read in flight and at most one more after it: a burst of votes is a read or two, not one
  // per vote, and an older answer never overwrites a newer one.
  const cleanups = [];
  let reading = false, again = false, seq = 0, follow = () => {};
  const update = (next, at) => { if (at >= seq) { seq = at; room = next; show(); follow(); } };
  const refresh = async () => {
    if (reading) { again = true; return; }
    reading = true;
    try {
      do { again = false; const at = Date.now(); update(await api(base), at); } while (again);
    } catch (error) { say(error.message); } finally { reading = false; }
  };
  // A vote changes one entry: applied here, in place (the queue re-sorted by score; equal
  // scores keep their order, which is suggestion order), without reading the room again.
  const applyVote = (change, render = true) => {
    const entryId = change.entryId;
    if (room.nowPlaying?.entryId === entryId) {
      if (change.state !== 'playing') { refresh(); return; }
      room.nowPlaying.score = change.score;
      if ('myVote' in change) room.nowPlaying.myVote = change.myVote;
    } else {
      const entry = room.queue.find((e) => e.entryId === entryId);
      if (!entry) return;
      if (change.state !== 'queued') room.queue = room.queue.filter((e) => e !== entry);
      entry.score = change.score;
      if ('myVote' in change) entry.myVote = change.myVote;
      // What the host moved to the top stays there, in its order; the rest by score.
      room.queue.sort((a, b) => (Number(b.pinned) - Number(a.pinned)) || (a.pinned ? 0 : b.score - a.score || Number(a.entryId) - Number(b.entryId)));
    }
    if (render) show();
  };
  const act = async (promise) => { const at = Date.now(); try { update(await promise, at); } catch (error) { say(error.message); } };
  show();
  main.addEventListener('click', async (event) => {
    const voteButton = event.target.closest('button[data-vote]');
    const remove = event.target.closest('button[data-remove]');
    if (voteButton) {
      try { applyVote(await api(`${base}/entries/${voteButton.dataset.vote}/vote`, { method: 'PUT', body: { value: Number(voteButton.dataset.value) } })); }
      catch (error) { say(error.message); }
    }
    if (remove) await act(api(`${base}/entries/${remove.dataset.remove}`, { method: 'DELETE' }));
    const top = event.target.closest('button[data-top]');
    if (top) await act(api(`${base}/entries/${top.dataset.top}/top`, { method: 'POST' }));
    const ban = event.target.closest('button[data-ban]');
    if (ban) await act(api(`${base}/banned-tracks/${ban.dataset.ban}`, { method: 'PUT' }));
    const unban = event.target.closest('button[data-unban]');
    if (unban) await act(api(`${base}/banned-tracks/${unban.dataset.unban}`, { method: 'DELETE' }));
  });
  main.querySelector('#share-listens')?.addEventListener('change', (event) => act(api(`${base}/me`, { method: 'PUT', body: { sharesListens: event.target.checked } })));
  let found = [];
  const results = main.querySelector('#suggest-results');
  main.querySelector('#suggest-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = main.querySelector('#suggest-q').value.trim();
    if (!q) return;
    try {
      found = await api(`${base}/search?q=${encodeURIComponent(q)}`);
      results.innerHTML = found.map((t, i) => html`<li>${describe(t)} <button type="button" data-suggest="${i}" aria-label="Suggest ${t.title}">Suggest</button></li>`.text).join('')
        || html`<li class="muted">No songs found.</li>`.text;
    } catch (error) { say(error.message); }
  });
  results.addEventListener('click', async (event) => {
    const track = found[Number(event.target.closest('button[data-suggest]')?.dataset.suggest)];
    if (!track) return;
    try { update(await api(`${base}/suggestions`, { method: 'POST', body: { trackId: track.id } }), Date.now()); say(`${track.title} suggested.`); }
    catch (error) { say(error.message); }
  });
  if (room.host) {
    main.querySelector('#copy-link').addEventListener('click', () => navigator.clipboard?.writeText(link).then(() => say('Link copied.'), () => say(link)));
    // A new code: the old link and QR code stop letting anyone in (guests already in stay).
    main.querySelector('#new-link').addEventListener('click', async () => {
      try {
        update(await api(`${base}/code`, { method: 'POST' }), Date.now());
        say('New link made; the old one no longer works.');
      } catch (error) { say(error.message); }
    });
    const control = (action) => act(api(`${base}/control/${action}`, { method: 'POST' }));
    main.querySelector('#skip-song').addEventListener('click', () => control('skip'));
    main.querySelector('#clear-queue').addEventListener('click', () => { if (confirm('Take every song out of the queue?')) control('clear'); });
    main.querySelector('#pause').addEventListener('click', () => control(room.nowPlaying?.paused ? 'play' : 'pause'));
    main.querySelector('#lock').addEventListener('change', (event) => act(api(base, { method: 'PATCH', body: { locked: event.target.checked } })));
    main.querySelector('#autoplay').addEventListener('change', (event) => act(api(base, { method: 'PATCH', body: { autoplay: event.target.checked } })));
    // The settings form shows the room's settings as they were when it was opened.
    const settingsForm = main.querySelector('#settings-form');
    const fillSettings = () => {
      const st = room.settings;
      settingsForm.querySelector('#set-interactivity').value = st.interactivity;
      settingsForm.querySelector('#set-remove').value = st.downvotesToRemove;
      settingsForm.querySelector('#set-skip').value = st.downvotesToSkip;
      settingsForm.querySelector('#set-per-guest').value = st.maxPerGuest;
      settingsForm.querySelector('#set-cooldown').value = st.cooldownMinutes;
      settingsForm.querySelector('#set-max-queue').value = st.maxQueue;
      settingsForm.querySelector('#set-words').value = (st.forbiddenWords || []).join('\n');
      settingsForm.querySelector('#set-new-only').checked = st.newMusicOnly;
      settingsForm.querySelector('#set-accounts').checked = st.requireAccounts;
    };
    fillSettings();
    main.querySelector('#room-settings').addEventListener('toggle', (event) => { if (event.target.open) fillSettings(); });
    settingsForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const number = (id) => Number(settingsForm.querySelector(id).value);
      const status = settingsForm.querySelector('#settings-status');
      try {
        update(await api(base, { method: 'PATCH', body: {
          interactivity: settingsForm.querySelector('#set-interactivity').value,
          downvotesToRemove: number('#set-remove'), downvotesToSkip: number('#set-skip'), maxPerGuest: number('#set-per-guest'),
          cooldownMinutes: number('#set-cooldown'), maxQueue: number('#set-max-queue'),
          forbiddenWords: settingsForm.querySelector('#set-words').value.split('\n').map((w) => w.trim()).filter(Boolean),
          newMusicOnly: settingsForm.querySelector('#set-new-only').checked, requireAccounts: settingsForm.querySelector('#set-accounts').checked,
        } }), Date.now());
        fillSettings();
        status.textContent = 'Settings saved.';
      } catch (error) { status.textContent = error.message; }
    });
    main.querySelector('#playback').addEventListener('change', async (event) => {
      await act(api(base, { method: 'PATCH', body: { playback: event.target.value } }));
      event.target.value = room.settings.playback;
    });
    // The speaker: asks for the next song, plays it, and reports. Each attempt has a number, so
    // the callbacks of an abandoned one are ignored; only the audio's error event reports a
    // failure (once); a browser that blocks sound stops the speaker instead of failing songs.
    const audio = main.querySelector('#speaker-audio');
    let speaker = false, stopped = false, busy = false, attempt = 0, playing = null, confirmed = false;
    const silence = () => { audio.pause(); audio.removeAttribute('src'); audio.load(); playing = null; confirmed = false; };
    const report = (event, entryId) => act(api(`${base}/player/${event}`, { method: 'POST', body: { entryId } }));
    const speakerButton = main.querySelector('#speaker');
    const setSpeaker = (on) => {
      speaker = on;
      speakerButton.setAttribute('aria-pressed', String(on));
      speakerButton.innerHTML = on ? html`${icon('pause')} Stop the speaker`.text : html`${icon('play')} Play here (speaker)`.text;
      if (on) { document.querySelector('cz-player audio')?.pause(); advance(); } else { attempt += 1; silence(); }
    };
    const advance = async () => {
      if (!speaker || stopped || busy || playing || room.settings.playback === 'stream') return;
      busy = true;
      const mine = ++attempt;
      try {
        const next = await api(`${base}/player/next`);
        if (mine !== attempt || !speaker || stopped) return;
        const file = next.track?.files?.find((f) => f.status === 'imported') || next.track?.files?.[0];
        playing = next.entryId;
        confirmed = false;
        if (!file) { playing = null; await report('failed', next.entryId); return; }
        audio.src = `/api/v1/files/${encodeURIComponent(file.id)}/audio`;
        audio.play().catch((error) => {
          if (mine !== attempt) return;
          if (error.name === 'NotAllowedError') { say('This browser wants a tap before it plays: press “Play here” again.'); setSpeaker(false); }
          // Anything else shows up as the audio's error event, which reports it.
        });
      } catch (error) {
        if (error.status !== 404) say(error.message);
      } finally { busy = false; }
    };
    audio.addEventListener('playing', async () => {
      if (!playing || confirmed) return;
      confirmed = true;
      const entry = playing;
      try { update(await api(`${base}/player/started`, { method: 'POST', body: { entryId: entry } }), Date.now()); }
      catch (error) { if (playing === entry) { say(error.message); silence(); advance(); } }
    });
    audio.addEventListener('ended', async () => { const done = playing; silence(); if (done) await report('ended', done); advance(); });
    audio.addEventListener('error', async () => {
      const bad = playing;
      if (!bad || !audio.getAttribute('src')) return;
      silence();
      await report('failed', bad);
      advance();
    });
    // The room decides: a song skipped by votes or from another device, or removed before it
    // started, stops here; a pause anywhere pauses the speaker.
    follow = () => {
      // Switched to its stream (here or on another device): the server plays it now.
      if (speaker && room.settings.playback === 'stream') { setSpeaker(false); return; }
      if (!speaker || !playing) return;
      const now = room.nowPlaying;
      if (confirmed && now?.entryId !== playing) { silence(); advance(); return; }
      if (now?.entryId === playing) {
        if (now.paused && !audio.paused) audio.pause();
        else if (!now.paused && audio.paused) audio.play().catch(() => {});
      }
    };
    speakerButton.addEventListener('click', () => setSpeaker(!speaker));
    // A song suggested while the speaker idles starts within a few seconds.
    const idle = setInterval(advance, 3000);
    cleanups.push(() => { stopped = true; speaker = false; attempt += 1; clearInterval(idle); silence(); });
  }
  if (!room.host) {
    // A full-control room: guests play, pause and skip too.
    const guestControl = (action) => act(api(`${base}/control/${action}`, { method: 'POST' }));
    main.querySelector('#guest-pause').addEventListener('click', () => guestControl(room.nowPlaying?.paused ? 'play' : 'pause'));
    main.querySelector('#guest-skip').addEventListener('click', () => guestControl('skip'));
  }
  // Everyone follows the room live (each change, then the room read again); the progress bar
  // ticks here, and a slow read every 20 s covers a stream that was down.
  const live = new EventSource(`${base}/events`);
  live.addEventListener('room', (event) => {
    let change = {};
    try { change = JSON.parse(event.data); } catch { /* read the room */ }
    // Votes come together (all those written in one go): each entry's new score, drawn once.
    if (change.reason === 'votes' && Array.isArray(change.votes)) { change.votes.forEach((v) => applyVote(v, false)); show(); } else refresh();
  });
  const tick = setInterval(() => {
    if (!room.nowPlaying || room.nowPlaying.paused) return;
    for (const bar of main.querySelectorAll('#playing progress, #stage-now progress')) bar.value = Number(bar.value) + 1000;
  }, 1000);
  // The stage: the page's own full-screen view (the browser's full screen where it allows it).
  const stage = main.querySelector('#stage');
  const leaveStage = () => { stage.hidden = true; if (document.fullscreenElement) document.exitFullscreen().catch(() => {}); };
  main.querySelector('#stage-open')?.addEventListener('click', () => {
    stage.hidden = false;
    stage.requestFullscreen?.().catch(() => {});
    main.querySelector('#stage-close').focus();
  });
  main.querySelector('#stage-close').addEventListener('click', leaveStage);
  const fullscreenLeft = () => { if (!document.fullscreenElement && !stage.hidden) stage.hidden = true; };
  document.addEventListener('fullscreenchange', fullscreenLeft);
  stage.addEventListener('keydown', (event) => { if (event.key === 'Escape') leaveStage(); });
  cleanups.push(() => document.removeEventListener('fullscreenchange', fullscreenLeft));
  const poll = setInterval(() => { if (!document.hidden) refresh(); }, 20_000);
  cleanups.push(() => { live.close(); clearInterval(tick); clearInterval(poll); });
  return () => cleanups.forEach((c) => c());
}
