import { html } from './html.js';
import { api, artwork } from './api.js';
import { duration } from './format.js';
import { ratingControl } from './rating.js';
import { store } from './store.js';

// Shared pieces of markup, and the handlers that turn their buttons into player actions.
const say = (text) => window.dispatchEvent(new CustomEvent('cz-toast', { detail: text }));

/// An icon from the sprite (decorative: the control it sits in carries the name).
export function icon(name) {
  return html`<svg class="icon" aria-hidden="true"><use href="/app/icons.svg#${name}"></use></svg>`;
}

/// Placeholder artwork for an item without a cover: its initials on a colour drawn from its name,
/// so each album looks different and the same one always looks the same.
export function placeholderArt(name, extra = '') {
  const text = String(name || '?');
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  const words = text.replace(/^(the|a|an)\s+/i, '').split(/[\s\-_/]+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  const initials = words.slice(0, 2).map((w) => [...w.match(/[\p{L}\p{N}]/u)[0]][0].toUpperCase()).join('') || '♪';
  return html`<span class="noart ${extra}" data-initials="${initials}" style="--h: ${hash % 360}" aria-hidden="true"></span>`;
}

/// An album's cover at `size` pixels, or its placeholder.
export function cover(item, size, extra = '') {
  return item.artworkId
    ? html`<img class="${extra}" src="${artwork(item.artworkId, size)}" alt="" loading="lazy" width="${size}" height="${size}">`
    : placeholderArt(item.title || item.name, extra);
}

export function albumGrid(albums) {
  if (!albums.length) return html`<p class="muted">No albums yet.</p>`;
  return html`<ul class="grid">${albums.map((a) => html`
    <li class="card" data-menu-host>
      <a href="#/albums/${a.id}"><span class="art">${cover(a, 300)}</span><span class="name">${a.title}</span></a>
      <span class="sub">${a.artist ? html`<a href="#/artists/${a.artist.id}" tabindex="-1">${a.artist.name}</a>` : ''}${a.year ? ` · ${a.year}` : ''}</span>
      ${itemActions('album', a.id, a.title, undefined, { card: true, links: a.artist ? [[`#/artists/${a.artist.id}`, 'Go to the artist', 'artist']] : [] })}
    </li>`)}</ul>`;
}

const ACTS = {
  now: ['play', 'Play', (name) => `Play ${name}`], next: ['play-next', 'Play next', (name) => `Play ${name} next`],
  queue: ['queue', 'Add to the queue', (name) => `Add ${name} to the queue`],
  playlist: ['list-add', 'Add to a playlist…', (name) => `Add ${name} to a playlist`],
  mix: ['radio', 'Start instant mix', (name) => `Start an instant mix from ${name}`],
};

/// Actions on an item that is only named here (`kind` track, album, artist or playlist): a play
/// button, and the rest in a ⋯ menu (also opened by right-click or a long press on the item). Its
/// tracks are fetched when an action is chosen (see the click handler below).
export function itemActions(kind, id, name, acts = ['now', 'next', 'queue', 'playlist', 'mix'], { card = false, links = [] } = {}) {
  // An instant mix starts from a track, an album or an artist.
  const menu = acts.filter((act) => act !== 'now' && (act !== 'mix' || ['track', 'album', 'artist'].includes(kind)));
  const play = acts.includes('now')
    ? html`<button type="button" class="${card ? 'play-fab' : 'play-btn'}" data-item-act="now" aria-label="${ACTS.now[2](name)}">${icon('play')}</button>` : '';
  const more = menu.length || links.length ? html`
    <button type="button" class="menu-btn" data-menu aria-haspopup="menu" aria-expanded="false" aria-label="More actions for ${name}">${icon('more')}</button>
    <div class="menu" role="menu" hidden aria-label="${name}">
      ${menu.map((act) => html`<button type="button" role="menuitem" tabindex="-1" data-item-act="${act}" aria-label="${ACTS[act][2](name)}">${icon(ACTS[act][0])}<span>${ACTS[act][1]}</span></button>`)}
      ${links.map(([href, label, glyph]) => html`<a role="menuitem" tabindex="-1" href="${href}">${icon(glyph)}<span>${label}</span></a>`)}
    </div>` : '';
  return html`<span class="item-actions" data-item="${kind}:${id}">${play}${more}</span>`;
}

// Menus: ⋯ toggles; right-click (and a long press, which browsers report as contextmenu) on an
// item opens its menu; arrows move, Escape and a click elsewhere close.
function closeMenus(except) {
  for (const open of document.querySelectorAll('[data-menu][aria-expanded="true"]')) {
    if (open === except) continue;
    open.setAttribute('aria-expanded', 'false');
    open.nextElementSibling.hidden = true;
  }
}
export function openMenu(button, focusFirst = true) {
  closeMenus(button);
  const menu = button.nextElementSibling;
  button.setAttribute('aria-expanded', 'true');
  menu.hidden = false;
  menu.style.top = menu.style.bottom = '';
  // Opens upwards when there is no room under the button (the player bar covers the bottom).
  const room = window.innerHeight - (document.querySelector('footer')?.offsetHeight || 0);
  if (menu.getBoundingClientRect().bottom > room) { menu.style.top = 'auto'; menu.style.bottom = '100%'; }
  if (focusFirst) menu.querySelector('[role=menuitem]')?.focus();
}
document.addEventListener('click', (event) => {
  const toggle = event.target.closest?.('[data-menu]');
  if (toggle) {
    if (toggle.getAttribute('aria-expanded') === 'true') closeMenus(); else openMenu(toggle, event.detail === 0);
    return;
  }
  if (event.target.closest?.('[role=menuitem]')) { setTimeout(closeMenus); return; }
  closeMenus();
});
const menuHost = (target) => target.closest?.('[data-menu-host], tr[data-i], li:has(> .item-actions), li:has(> * > .item-actions)');
document.addEventListener('contextmenu', (event) => {
  const button = menuHost(event.target)?.querySelector('[data-menu]');
  if (!button || event.shiftKey) return;
  event.preventDefault();
  openMenu(button);
});
// A long press opens the menu too (Android reports it as contextmenu; Safari on iOS does not).
let pressTimer = null;
document.addEventListener('touchstart', (event) => {
  const button = menuHost(event.target)?.querySelector('[data-menu]');
  if (!button || event.touches.length !== 1) return;
  clearTimeout(pressTimer);
  pressTimer = setTimeout(() => { pressTimer = null; pressOpened = true; openMenu(button); }, 550);
}, { passive: true });
// The click some browsers send when the finger lifts would follow the card's link, close the
// menu, or press the menu item that opened under the finger; the next tap starts afresh.
let pressOpened = false;
document.addEventListener('click', (event) => {
  if (!pressOpened) return;
  pressOpened = false;
  event.preventDefault();
  event.stopPropagation();
}, true);
for (const type of ['touchend', 'touchmove', 'touchcancel']) {
  document.addEventListener(type, () => { clearTimeout(pressTimer); pressTimer = null; }, { passive: true });
}
document.addEventListener('touchstart', () => { if (!pressTimer) pressOpened = false; }, { capture: true, passive: true });
document.addEventListener('keydown', (event) => {
  const menu = event.target.closest?.('.menu');
  if (event.key === 'Escape') {
    const open = document.querySelector('[data-menu][aria-expanded="true"]');
    if (open) { closeMenus(); open.focus(); }
    return;
  }
  if (!menu || !['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
  event.preventDefault();
  const items = [...menu.querySelectorAll('[role=menuitem]')];
  const at = items.indexOf(event.target);
  const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
  items[(next + items.length) % items.length]?.focus();
});

const enc = encodeURIComponent;
const resolvers = {
  track: async (id) => [await api(`/api/v1/tracks/${enc(id)}`)],
  album: async (id) => (await api(`/api/v1/albums/${enc(id)}`)).tracks,
  playlist: async (id) => (await api(`/api/v1/playlists/${enc(id)}`)).tracks || [],
  // An artist's tracks, album by album (the artist page's order), credited to them or on their albums.
  artist: async (id) => {
    const { albums } = await api(`/api/v1/artists/${enc(id)}`);
    const details = await Promise.all(albums.map((a) => api(`/api/v1/albums/${enc(a.id)}`)));
    return details.flatMap((d) => d.tracks).filter((t) => t.albumArtist?.id === String(id) || t.artists?.some((a) => a.id === String(id)));
  },
};

/// The tracks of "kind:id", as the catalog API returns them.
export function resolveItem(item) {
  const [kind, id] = item.split(':');
  return resolvers[kind] ? resolvers[kind](id) : Promise.reject(new Error(`Nothing to play for ${item}.`));
}

/// A queue that continues from a track, album or artist by similarity (seed first).
export async function instantMix(kind, id) {
  return (await api(`/api/v1/discovery/mix?${kind}=${encodeURIComponent(id)}&limit=50`)).items;
}

/// "now" plays the tracks, "next" and "queue" add them to the queue, "playlist" asks which playlist.
export async function act(tracks, what) {
  if (!tracks?.length) say('There is nothing to play here.');
  else if (what === 'playlist') await addToPlaylist(tracks);
  else window.dispatchEvent(new CustomEvent('cz-play', { detail: { tracks, mode: what } }));
}

// One handler for every [data-item] in the page. Items resolve in parallel but reach the queue in
// the order they were pressed.
let pending = Promise.resolve();
document.addEventListener('click', (event) => {
  const button = event.target.closest?.('button[data-item-act]');
  const holder = button?.closest('[data-item]');
  if (!holder) return;
  const mix = button.dataset.itemAct === 'mix';
  const [kind, id] = holder.dataset.item.split(':');
  const tracks = mix ? instantMix(kind, id) : resolveItem(holder.dataset.item);
  tracks.catch(() => {});
  pending = pending.then(async () => act(await tracks, mix ? 'now' : button.dataset.itemAct)).catch((error) => say(error.message));
});

export function trackButtons(t) {
  return html`<button type="button" data-play="now" aria-label="Play ${t.title}">${icon('play')}</button>
    <button type="button" data-play="next" aria-label="Play ${t.title} next">${icon('play-next')}</button>
    <button type="button" data-play="queue" aria-label="Add ${t.title} to the queue">${icon('queue')}</button>
    <button type="button" data-add-to-playlist aria-label="Add ${t.title} to a playlist">${icon('list-add')}</button>
    <button type="button" data-mix aria-label="Start an instant mix from ${t.title}">${icon('radio')}</button>
    <button type="button" data-star aria-pressed="false" aria-label="Star ${t.title}">☆</button>`;
}

/// Whether a track comes from a library followed on another server (its library is a mirror).
export function isRemote(track) {
  return Boolean(track?.libraryId && store.state.remoteLibraries?.includes(String(track.libraryId)));
}

export function trackTable(tracks, { numbers = true, rate = false, plays = false } = {}) {
  return html`<table class="tracks">
    <thead><tr>${numbers ? html`<th scope="col">#</th>` : ''}<th scope="col">Title</th><th scope="col" class="col-artist">Artist</th><th scope="col" class="col-time">Time</th>${plays ? html`<th scope="col" class="col-plays">Plays</th>` : ''}${rate ? html`<th scope="col" class="col-rating">Rating</th>` : ''}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${tracks.map((t, i) => html`<tr data-i="${i}">
      ${numbers ? html`<td>${t.trackNumber || ''}</td>` : ''}
      <td>${t.title}${isRemote(t) ? html` <span class="badge-remote" title="From a library on another server">remote</span>` : ''}</td><td class="col-artist">${t.artist || ''}</td><td class="col-time">${duration(t.durationMs)}</td>
      ${plays ? html`<td class="col-plays">${t.playCount || ''}</td>` : ''}
      ${rate ? html`<td class="col-rating">${ratingControl('track', t.id, t.title)}</td>` : ''}
      <td class="actions">${trackButtons(t)}</td></tr>`)}</tbody></table>`;
}

/// Track buttons inside `root` act on `tracks` (an array, or a function giving the current one):
/// "now" plays from that track on.
export function wireTracks(root, tracks) {
  const list = typeof tracks === 'function' ? tracks : () => tracks;
  root.addEventListener('click', async (event) => {
    const row = event.target.closest('[data-i]');
    const track = row && list()[Number(row.dataset.i)];
    if (!track) return;
    const star = event.target.closest('button[data-star]');
    if (star) {
      const on = star.getAttribute('aria-pressed') !== 'true';
      try {
        await api(`/api/v1/stars/track/${encodeURIComponent(track.id)}`, { method: on ? 'PUT' : 'DELETE' });
        star.setAttribute('aria-pressed', String(on));
        star.textContent = on ? '★' : '☆';
      } catch (error) { say(error.message); }
      return;
    }
    if (event.target.closest('button[data-add-to-playlist]')) { await addToPlaylist([track]); return; }
    if (event.target.closest('button[data-mix]')) {
      try { await act(await instantMix('track', track.id), 'now'); } catch (error) { say(error.message); }
      return;
    }
    const button = event.target.closest('button[data-play]');
    if (!button) return;
    const mode = button.dataset.play;
    act(mode === 'now' ? list().slice(Number(row.dataset.i)) : [track], mode);
  });
}

/// Asks which of the user's playlists (or a new one) and appends the tracks there.
export async function addToPlaylist(tracks) {
  let dialog = document.getElementById('add-dialog');
  if (!dialog) {
    dialog = document.createElement('dialog');
    dialog.id = 'add-dialog';
    dialog.setAttribute('aria-labelledby', 'add-dialog-title');
    document.body.append(dialog);
  }
  let lists = [];
  try { lists = (await api('/api/v1/playlists')).filter((p) => p.mine); } catch (error) { lists = []; }
  dialog.innerHTML = html`<form method="dialog">
    <h2 id="add-dialog-title">Add to playlist</h2>
    <label for="add-target">Playlist</label>
    <select id="add-target">${lists.map((p) => html`<option value="${p.id}">${p.name}</option>`)}<option value="">New playlist…</option></select>
    <label for="add-new">Name for a new playlist</label><input id="add-new" maxlength="200">
    <p><button value="add">Add</button> <button value="cancel">Cancel</button></p></form>`.text;
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'add') return;
  const target = dialog.querySelector('#add-target').value, ids = tracks.map((t) => t.id);
  try {
    if (target) await api(`/api/v1/playlists/${encodeURIComponent(target)}`, { method: 'PATCH', body: { addTrackIds: ids } });
    else await api('/api/v1/playlists', { method: 'POST', body: { name: dialog.querySelector('#add-new').value || 'New playlist', trackIds: ids } });
    say('Added to the playlist');
  } catch (error) { say(error.message); }
}

/// Shows which of the listed tracks are starred.
export function markStars(root, tracks, starred) {
  const ids = new Set(starred.tracks.map((t) => t.id));
  root.querySelectorAll('[data-i]').forEach((row) => {
    const button = row.querySelector('button[data-star]');
    const on = ids.has(tracks[Number(row.dataset.i)]?.id);
    if (button) { button.setAttribute('aria-pressed', String(on)); button.textContent = on ? '★' : '☆'; }
  });
}

export const VISIBILITIES = [['private', 'Only me (and administrators)'], ['instance', 'Everyone on this server'], ['public', 'Everyone, also other servers']];

export function errorMessage(error) {
  return html`<p class="error" role="alert">${error.message}</p>`;
}

/// HTML5 drag and drop between the rows of `list` that carry the attribute `attr` (their index);
/// `onMove(from, to)` does the move. Rows keep their up/down buttons for the keyboard.
export function dragReorder(list, attr, onMove) {
  let from = null;
  const rowOf = (event) => event.target.closest?.(`[${attr}][draggable="true"]`);
  const clear = () => list.querySelectorAll('.dragging, .drop-target').forEach((el) => el.classList.remove('dragging', 'drop-target'));
  list.addEventListener('dragstart', (event) => {
    const row = rowOf(event);
    if (!row) return;
    from = Number(row.getAttribute(attr));
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', String(from));
    row.classList.add('dragging');
  });
  list.addEventListener('dragover', (event) => {
    const row = rowOf(event);
    if (!row || from === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    list.querySelectorAll('.drop-target').forEach((el) => el.classList.remove('drop-target'));
    row.classList.add('drop-target');
  });
  list.addEventListener('drop', (event) => {
    const row = rowOf(event);
    if (!row || from === null) return;
    event.preventDefault();
    const start = from, to = Number(row.getAttribute(attr));
    from = null;
    clear();
    if (start !== to) onMove(start, to);
  });
  list.addEventListener('dragend', () => { from = null; clear(); });
}
