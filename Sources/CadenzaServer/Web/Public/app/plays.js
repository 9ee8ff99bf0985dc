import { api } from './api.js';
import { store } from './store.js';

// Listens the server has not taken yet ("played" reports): sent one at a time; a failure waits
// 2 s, doubling up to a minute, for at most five tries; a refusal (4xx) is final. At most ten
// wait, and the oldest give way, so an outage never turns into a flood of requests.
const MAX_PENDING = 10;
const MAX_TRIES = 5;
let pending = [];
let timer = null;
let sending = false;

// A "played" report carries when it happened, so a retry after a lost answer is stored once.
const post = (play) => api('/api/v1/plays', { method: 'POST', body: { trackId: play.trackId, event: play.event, listenedAt: play.at } });
const final = (status) => status >= 400 && status < 500 && status !== 408 && status !== 429;

export function reportPlay(trackId, event) {
  if (event !== 'played') { post({ trackId, event }).catch(() => {}); return; }   // playing-now only matters now
  pending.push({ trackId, event, at: Date.now(), tries: 0 });
  if (pending.length > MAX_PENDING) pending.shift();
  if (!timer && !sending) flush();
}

async function flush() {
  timer = null;
  sending = true;
  // Items leave the list by identity: a sign-out while a report is in flight empties the list,
  // and the next person's first play must not be dropped in its place.
  const done = (play) => { const i = pending.indexOf(play); if (i >= 0) pending.splice(i, 1); };
  while (pending.length) {
    const play = pending[0];
    try {
      await post(play);
      done(play);
    } catch (error) {
      play.tries += 1;
      if (final(error.status) || play.tries >= MAX_TRIES) { done(play); continue; }
      sending = false;
      timer = setTimeout(flush, Math.min(60_000, 2000 * 2 ** (play.tries - 1)));
      return;
    }
  }
  sending = false;
}

/// Forgets what is waiting (sign-out: the next person must not report the last one's plays).
export function clearPlays() {
  pending = [];
  clearTimeout(timer);
  timer = null;
}

// Back online: what waits goes at once.
store.addEventListener('change', (event) => {
  if (event.detail.online && timer) { clearTimeout(timer); flush(); }
});
