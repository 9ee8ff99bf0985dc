import { artwork } from './api.js';
import { html } from './html.js';
import { duration, spoken, playedEnough, shuffled } from './format.js';
import { addToPlaylist, dragReorder, icon, cover as coverArt } from './components.js';
import { api } from './api.js';
import { reportPlay, clearPlays } from './plays.js';
import { store } from './store.js';

// The player lives outside the router's outlet, so navigation never stops the music. The queue
// (tracks as the catalog API returns them) is kept in localStorage across reloads; after a
// reload it stays paused until the user presses play. It belongs to the user who made it: signing
// out clears it, and another user signing in starts with an empty one.
const KEY = 'cadenza.queue';

class Player extends HTMLElement {
  connectedCallback() {
    const saved = JSON.parse(localStorage.getItem(KEY) || '{"tracks":[],"index":0}');
    this.tracks = Array.isArray(saved.tracks) ? saved.tracks : [];
    this.index = Math.min(saved.index || 0, Math.max(0, this.tracks.length - 1));
    this.owner = saved.user || null;
    this.repeat = false;
    this.reported = false;
    this.innerHTML = html`
      <audio preload="none"></audio>
      <div class="now">
        <img class="cover" alt="" width="56" height="56" hidden><span class="cover-blank" aria-hidden="true"></span>
        <div><a class="title">Nothing playing</a><a class="artist"></a></div>
      </div>
      <div class="controls">
        <div class="transport">
          <div class="buttons">
            <button type="button" data-act="shuffle" aria-label="Shuffle the queue">${icon('shuffle')}</button>
            <button type="button" data-act="prev" aria-label="Previous track">${icon('prev')}</button>
            <button type="button" data-act="play" aria-label="Play" aria-keyshortcuts="Space">${icon('play')}</button>
            <button type="button" data-act="next" aria-label="Next track">${icon('next')}</button>
            <button type="button" data-act="repeat" aria-label="Repeat" aria-pressed="false">${icon('repeat')}</button>
          </div>
          <div class="progress">
            <span class="time elapsed" aria-hidden="true">0:00</span>
            <label class="visually-hidden" for="seek">Position</label>
            <input id="seek" type="range" min="0" max="0" step="1" value="0">
            <span class="time total" aria-hidden="true">0:00</span>
          </div>
        </div>
        <div class="extras">
          <button type="button" data-act="lyrics" aria-label="Lyrics and now playing, full screen" aria-expanded="false" aria-controls="np">${icon('lyrics')}</button>
          <button type="button" data-act="queue" aria-label="Queue" aria-expanded="false" aria-controls="queue">${icon('queue')}</button>
          <label class="visually-hidden" for="volume">Volume</label>
          <input id="volume" type="range" min="0" max="1" step="0.05" value="1">
          <button type="button" data-act="expand" aria-label="Now playing, full screen" aria-expanded="false" aria-controls="np">${icon('up')}</button>
          <button type="button" data-act="more" class="mini-only" aria-expanded="false" aria-label="All player controls">${icon('more')}</button>
        </div>
      </div>
      <section id="queue" class="queue" hidden aria-label="Queue"></section>
      <section id="np" class="np" hidden role="dialog" aria-labelledby="np-title">
        <div class="np-top">
          <p class="kind muted">Now playing</p>
          <button type="button" class="icon-btn" data-act="close-np" aria-label="Close the now playing view">${icon('down')}</button>
        </div>
        <div class="np-body">
          <div><span class="np-cover"></span><h2 class="np-title" id="np-title"></h2><p class="np-artist"></p></div>
          <div>
            <section aria-labelledby="np-lyrics-h"><h3 id="np-lyrics-h">Lyrics</h3><div class="np-lyrics"></div></section>
            <section aria-labelledby="np-next-h"><h3 id="np-next-h">Up next</h3><ol class="np-next"></ol></section>
          </div>
        </div>
      </section>
      <p class="visually-hidden" aria-live="polite" id="announce"></p>`.text;
    this.audio = this.querySelector('audio');
    this.seek = this.querySelector('#seek');
    this.audio.volume = Number(localStorage.getItem('cadenza.volume') || 1);
    this.querySelector('#volume').value = this.audio.volume;
    this.addEventListener('click', (event) => this.onClick(event));
    dragReorder(this.querySelector('#queue'), 'data-q', (from, to) => this.move(from, to));
    this.seek.addEventListener('input', () => { this.audio.currentTime = Number(this.seek.value); });
    this.querySelector('#volume').addEventListener('input', (event) => {
      this.audio.volume = Number(event.target.value);
      localStorage.setItem('cadenza.volume', String(this.audio.volume));
    });
    this.audio.addEventListener('timeupdate', () => this.onTime());
    this.audio.addEventListener('play', () => this.onPlayState());
    this.audio.addEventListener('pause', () => this.onPlayState());
    this.audio.addEventListener('ended', () => this.next(true));
    this.audio.addEventListener('error', () => window.dispatchEvent(new CustomEvent('cz-toast', { detail: 'This track could not be played.' })));
    window.addEventListener('cz-play', (event) => { if (store.state.me) this.enqueue(event.detail.tracks, event.detail.mode || 'now'); });
    window.addEventListener('cz-sign-out', () => this.reset());
    store.addEventListener('change', (event) => {
      const me = event.detail.me;
      // A queue belongs to whoever saved it; one of nobody's (or another user's) is not inherited.
      if (me && this.tracks.length && this.owner !== me.username) this.reset();
    });
    document.addEventListener('keydown', (event) => this.onKey(event));
    this.setupMediaSession();
    this.load(false);
  }

  get current() { return this.tracks[this.index]; }

  save() {
    if (!store.state.me) return;   // signed out: nothing is kept for the next person
    this.owner = store.state.me.username;
    localStorage.setItem(KEY, JSON.stringify({ user: this.owner, tracks: this.tracks.slice(0, 2000), index: this.index }));
  }

  /// Stops playback and forgets the queue, on screen and in storage.
  reset() {
    this.audio.pause();
    this.audio.removeAttribute('src');
    this.audio.load();
    this.tracks = [];
    this.index = 0;
    this.owner = null;
    localStorage.removeItem(KEY);
    clearPlays();
    this.querySelector('#queue').hidden = true;
    this.querySelector('[data-act="queue"]').setAttribute('aria-expanded', 'false');
    this.seek.max = '0';
    this.seek.value = '0';
    this.seek.removeAttribute('aria-valuetext');
    this.querySelector('.elapsed').textContent = '0:00';
    this.querySelector('.total').textContent = '0:00';
    this.querySelector('#announce').textContent = '';
    if ('mediaSession' in navigator) { navigator.mediaSession.metadata = null; navigator.mediaSession.playbackState = 'none'; }
    this.load(false);
    this.onPlayState();
  }

  enqueue(tracks, mode) {
    if (!tracks?.length) return;
    if (mode === 'now') {
      this.tracks = tracks.slice(); this.index = 0; this.load(true);
    } else if (mode === 'next') {
      this.tracks.splice(this.tracks.length ? this.index + 1 : 0, 0, ...tracks);
      if (this.tracks.length === tracks.length) this.load(false);
    } else {
      this.tracks.push(...tracks);
      if (this.tracks.length === tracks.length) this.load(false);
    }
    this.save();
    this.renderQueue();
    window.dispatchEvent(new CustomEvent('cz-toast', { detail: mode === 'now' ? 'Playing' : 'Added to the queue' }));
  }

  load(autoplay) {
    const track = this.current;
    this.reported = false;
    const title = this.querySelector('.title'), artist = this.querySelector('.artist');
    title.textContent = track ? track.title : 'Nothing playing';
    artist.textContent = track ? track.artist || '' : '';
    const albumID = track?.album?.id, artistID = track?.albumArtist?.id || track?.artists?.[0]?.id;
    if (albumID) title.href = `#/albums/${albumID}`; else title.removeAttribute('href');
    if (artistID) artist.href = `#/artists/${artistID}`; else artist.removeAttribute('href');
    const cover = this.querySelector('.cover');
    if (track?.artworkId) { cover.src = artwork(track.artworkId, 96); cover.hidden = false; } else { cover.hidden = true; cover.removeAttribute('src'); }
    // Without artwork: the album's initials on its colour, as on its card.
    const blank = this.querySelector('.cover-blank');
    blank.hidden = !cover.hidden;
    blank.innerHTML = track && cover.hidden ? coverArt({ title: track.album?.name || track.title }, 56).text : '';
    this.lyrics = null;
    if (this.npOpen) this.renderNowPlaying();
    if (!track) { this.audio.removeAttribute('src'); this.renderQueue(); return; }
    const file = track.files?.find((f) => f.status === 'imported') || track.files?.[0];
    this.audio.src = file ? `/api/v1/files/${encodeURIComponent(file.id)}/audio` : '';
    this.querySelector('#announce').textContent = `Now playing ${track.title}${track.artist ? ' by ' + track.artist : ''}`;
    if ('mediaSession' in navigator) {
      navigator.mediaSession.metadata = new MediaMetadata({ title: track.title, artist: track.artist || '', album: track.album?.name || '',
        artwork: track.artworkId ? [96, 256, 512].map((s) => ({ src: artwork(track.artworkId, s), sizes: `${s}x${s}`, type: 'image/jpeg' })) : [] });
    }
    this.renderQueue();
    if (autoplay) this.play();
  }

  async play() {
    try {
      await this.audio.play();
      if (this.current) reportPlay(this.current.id, 'playing');
    } catch (error) {
      window.dispatchEvent(new CustomEvent('cz-toast', { detail: 'Playback did not start: ' + error.message }));
    }
  }

  next(auto = false) {
    if (this.index + 1 < this.tracks.length) { this.index += 1; }
    else if (this.repeat) { this.index = 0; }
    else { if (auto) this.audio.pause(); return; }
    this.save(); this.load(true);
  }

  prev() {
    if (this.audio.currentTime > 3 || this.index === 0) { this.audio.currentTime = 0; return; }
    this.index -= 1; this.save(); this.load(true);
  }

  shuffle() {
    const current = this.current;
    const rest = shuffled(this.tracks.filter((_, i) => i !== this.index));
    this.tracks = current ? [current, ...rest] : rest; this.index = 0; this.save(); this.renderQueue();
  }

  move(from, to) {
    if (to < 0 || to >= this.tracks.length) return;
    const [track] = this.tracks.splice(from, 1);
    this.tracks.splice(to, 0, track);
    if (this.index === from) this.index = to;
    else if (from < this.index && to >= this.index) this.index -= 1;
    else if (from > this.index && to <= this.index) this.index += 1;
    this.save(); this.renderQueue();
    this.querySelector(`[data-q="${to}"] [data-act="${from < to ? 'down' : 'up'}"]`)?.focus();
  }

  remove(at) {
    this.tracks.splice(at, 1);
    if (at < this.index) this.index -= 1;
    else if (at === this.index) { this.index = Math.min(this.index, this.tracks.length - 1); this.load(false); }
    this.index = Math.max(0, this.index);
    this.save(); this.renderQueue();
  }

  onClick(event) {
    const button = event.target.closest('button[data-act]');
    if (!button) {
      if (event.target.closest('.now .cover, .now .cover-blank')) this.toggleNowPlaying(true);
      return;
    }
    const at = Number(button.closest('[data-q]')?.dataset.q);
    switch (button.dataset.act) {
      case 'play': if (this.audio.paused) this.play(); else this.audio.pause(); break;
      case 'next': this.next(); break;
      case 'prev': this.prev(); break;
      case 'shuffle': this.shuffle(); break;
      case 'repeat': this.repeat = !this.repeat; button.setAttribute('aria-pressed', String(this.repeat)); break;
      case 'expand': case 'lyrics': this.toggleNowPlaying(true); break;
      case 'close-np': this.toggleNowPlaying(false); break;
      case 'queue': {
        const queue = this.querySelector('#queue');
        queue.hidden = !queue.hidden;
        button.setAttribute('aria-expanded', String(!queue.hidden));
        break;
      }
      case 'more': {
        // Narrow screens show a mini player (title, play, next, queue); this opens the rest.
        const open = this.classList.toggle('expanded');
        button.setAttribute('aria-expanded', String(open));
        break;
      }
      case 'jump': this.index = at; this.save(); this.load(true); break;
      case 'up': this.move(at, at - 1); break;
      case 'down': this.move(at, at + 1); break;
      case 'remove': this.remove(at); break;
      case 'clear': this.tracks = []; this.index = 0; this.audio.pause(); this.save(); this.load(false); break;
      case 'save': addToPlaylist(this.tracks); break;
    }
  }

  onKey(event) {
    if (event.key === 'Escape' && this.npOpen) { this.toggleNowPlaying(false); return; }
    // Never while typing (or on a button, where Space presses it), nor with a modifier (browser keys).
    const target = event.target;
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.isContentEditable || target.closest?.('input, select, textarea, button, [contenteditable]:not([contenteditable="false"])')) return;
    if (localStorage.getItem('cadenza.shortcuts') === 'off') return;
    if (event.key === ' ') { event.preventDefault(); if (this.audio.paused) this.play(); else this.audio.pause(); }
    else if (event.key === 'ArrowRight') this.audio.currentTime += event.shiftKey ? 30 : 5;
    else if (event.key === 'ArrowLeft') this.audio.currentTime -= event.shiftKey ? 30 : 5;
    else if (event.key === 'n') this.next();
    else if (event.key === 'p') this.prev();
    else if (event.key === '/') { event.preventDefault(); document.getElementById('search').focus(); }
    else if (event.key === '?') document.dispatchEvent(new CustomEvent('cz-help'));
  }

  onTime() {
    const t = this.audio.currentTime, d = this.audio.duration || (this.current?.durationMs || 0) / 1000;
    this.seek.max = String(Math.floor(d || 0));
    this.seek.value = String(Math.floor(t));
    this.seek.setAttribute('aria-valuetext', `${spoken(t)} of ${spoken(d)}`);
    this.querySelector('.elapsed').textContent = duration(t * 1000);
    this.querySelector('.total').textContent = duration(d * 1000);
    if (this.npOpen && this.lyrics?.synced) this.followLyrics(t * 1000);
    if (!this.reported && this.current && playedEnough(t, d)) {
      this.reported = true;
      reportPlay(this.current.id, 'played');   // retried with backoff there, never once per timeupdate
    }
    if ('mediaSession' in navigator && d && navigator.mediaSession.setPositionState) {
      try { navigator.mediaSession.setPositionState({ duration: d, position: Math.min(t, d), playbackRate: 1 }); } catch { /* not ready */ }
    }
  }

  onPlayState() {
    const button = this.querySelector('[data-act="play"]');
    button.innerHTML = icon(this.audio.paused ? 'play' : 'pause').text;
    button.setAttribute('aria-label', this.audio.paused ? 'Play' : 'Pause');
    if ('mediaSession' in navigator) navigator.mediaSession.playbackState = this.audio.paused ? 'paused' : 'playing';
  }

  setupMediaSession() {
    if (!('mediaSession' in navigator)) return;
    const handlers = {
      play: () => this.play(), pause: () => this.audio.pause(), stop: () => this.audio.pause(),
      previoustrack: () => this.prev(), nexttrack: () => this.next(),
      seekbackward: () => { this.audio.currentTime -= 10; }, seekforward: () => { this.audio.currentTime += 10; },
      seekto: (details) => { this.audio.currentTime = details.seekTime; },
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch { /* unsupported action */ }
    }
  }

  /// The full-screen view above the player bar (which keeps working under it): large artwork, the
  /// lyrics (following the song when they are synced) and what plays next. Escape or ⌄ leaves it.
  toggleNowPlaying(open) {
    const view = this.querySelector('#np');
    this.npOpen = open;
    view.hidden = !open;
    for (const button of this.querySelectorAll('[data-act=expand], [data-act=lyrics]')) button.setAttribute('aria-expanded', String(open));
    if (open) { this.renderNowPlaying(); view.querySelector('[data-act=close-np]').focus(); }
    else this.querySelector('[data-act=expand]')?.focus();
  }

  async renderNowPlaying() {
    const track = this.current, view = this.querySelector('#np');
    view.querySelector('.np-cover').innerHTML = track ? coverArt(track, 600, 'np-art').text : '';
    view.style.setProperty('--np-art', track?.artworkId ? `url("${artwork(track.artworkId, 96)}")` : 'none');
    view.querySelector('.np-title').textContent = track ? track.title : 'Nothing playing';
    view.querySelector('.np-artist').textContent = track?.artist || '';
    view.querySelector('.np-next').innerHTML = html`${this.tracks.slice(this.index + 1, this.index + 11).map((t, i) => html`
      <li data-q="${this.index + 1 + i}"><button type="button" class="link" data-act="jump">${t.title}</button> <span class="muted">${t.artist || ''}</span></li>`)}`.text
      || html`<li class="muted">Nothing after this track.</li>`.text;
    const box = view.querySelector('.np-lyrics');
    if (!track) { box.textContent = ''; return; }
    if (!this.lyrics || this.lyrics.id !== track.id) {
      box.innerHTML = html`<p class="muted">Looking for lyrics…</p>`.text;
      try {
        this.lyrics = { id: track.id, ...(await api(`/api/v1/tracks/${encodeURIComponent(track.id)}/lyrics`)) };
      } catch { this.lyrics = { id: track.id, synced: false, lines: [] }; }
      if (this.current?.id !== track.id) return;
    }
    box.innerHTML = this.lyrics.lines.length
      ? html`${this.lyrics.lines.map((line, i) => html`<p data-line="${i}">${line.text || '♪'}</p>`)}`.text
      : html`<p class="muted">This track has no lyrics.</p>`.text;
  }

  followLyrics(ms) {
    const lines = this.lyrics.lines;
    let at = -1;
    for (let i = 0; i < lines.length && (lines[i].startMs ?? 0) <= ms; i++) at = i;
    const box = this.querySelector('.np-lyrics');
    const current = box.querySelector('[aria-current]');
    if (current?.dataset.line === String(at)) return;
    current?.removeAttribute('aria-current');
    const line = box.querySelector(`[data-line="${at}"]`);
    if (!line) return;
    line.setAttribute('aria-current', 'true');
    line.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }

  renderQueue() {
    const queue = this.querySelector('#queue');
    if (!queue) return;
    queue.innerHTML = html`
      <h2>Queue</h2>
      ${this.tracks.length ? html`<button type="button" data-act="clear">Clear the queue</button>
        <button type="button" data-act="save">Save as playlist</button>` : html`<p>The queue is empty.</p>`}
      <ol>${this.tracks.map((t, i) => html`
        <li data-q="${i}" draggable="true" ${i === this.index ? html`aria-current="true"` : ''}>
          <span class="grip" aria-hidden="true">${icon('grip')}</span><button type="button" class="link" data-act="jump">${t.title}</button><span class="muted">${t.artist || ''}</span>
          <button type="button" data-act="up" aria-label="Move ${t.title} up">${icon('up')}</button>
          <button type="button" data-act="down" aria-label="Move ${t.title} down">${icon('down')}</button>
          <button type="button" data-act="remove" aria-label="Remove ${t.title} from the queue">${icon('close')}</button>
        </li>`)}</ol>`.text;
    if (this.npOpen) this.renderNowPlaying();
  }
}

customElements.define('cz-player', Player);
