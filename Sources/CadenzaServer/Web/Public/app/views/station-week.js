import { api } from '../api.js';
import { html } from '../html.js';

/// The week's shows on a station's page: a column per day from today in the station's zone.
/// Managers cancel and restore an occurrence, drag it to another day (it keeps its time), or
/// move it to any date and time with the Move form (the keyboard's way to do the same), which also
/// gives that one occurrence other content.
export function stationWeek(box, { path, station, manages, say }) {
  let occurrences = [];
  // Answers are drawn in the order asked (an older one arriving late is dropped), and never
  // under a drag in progress: it is drawn when the drag ends.
  let asked = 0, deferred = false, dragging = null;
  // A move keeps what the occurrence airs (an exception is one change: date, time and content together).
  const move = async (occurrence, date, time, playlistId = occurrence.playlistId) => {
    try {
      const body = { startDate: date, startTime: time, ...(playlistId ? { playlistId } : {}) };
      await api(`${path}/shows/${occurrence.showId}/occurrences/${occurrence.date}`, { method: 'PUT', body });
      say(`${occurrence.title} moved to ${date} ${time}.`);
      await render();
    } catch (error) { say(error.message); }
  };
  const render = async () => {
    if (dragging) { deferred = true; return; }
    deferred = false;
    const mine = ++asked;
    try {
      const answer = await api(`${path}/schedule?days=7`);
      if (mine !== asked) return;
      if (dragging) { deferred = true; return; }
      occurrences = answer;
      const byDay = new Map();
      for (let i = 0; i < 7; i += 1) {
        const d = new Date(Date.now() + i * 86_400_000);
        byDay.set(d.toLocaleDateString('en-CA', { timeZone: station.timeZone }), []);
      }
      occurrences.forEach((o, index) => { const day = o.localStart.slice(0, 10); if (byDay.has(day)) byDay.get(day).push([o, index]); });
      box.innerHTML = [...byDay.entries()].map(([day, list]) => html`<section class="week-day" aria-label="${day}" data-day="${day}">
        <h3>${new Date(`${day}T12:00:00Z`).toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })}</h3>
        <ol class="plain">${list.map(([o, index]) => html`<li class="${o.cancelled ? 'cancelled' : ''} ${manages && !o.cancelled ? 'draggable' : ''}" data-index="${index}">
          <span class="muted">${o.localStart.slice(11)}–${o.localEnd.slice(11)}</span> ${o.cancelled ? html`<s>${o.title}</s> <span class="muted">(cancelled)</span>` : o.title}
          ${manages ? html`<button type="button" class="ghost" data-show="${o.showId}" data-date="${o.date}" data-cancelled="${o.cancelled ? '1' : ''}"
            aria-label="${o.cancelled ? 'Restore' : 'Cancel'} ${o.title} on ${o.date}">${o.cancelled ? 'Restore' : 'Cancel'}</button>
            ${o.cancelled ? '' : html`<button type="button" class="ghost" data-move="${index}" aria-label="Move ${o.title} on ${o.date}">Move</button>`}` : ''}</li>`)}</ol>
        ${list.length ? '' : html`<p class="muted">No shows.</p>`}</section>`.text).join('');
    } catch (error) { if (mine === asked && !dragging) box.textContent = error.message; }
  };
  box.addEventListener('click', async (event) => {
    const cancel = event.target.closest('button[data-show]');
    const moving = event.target.closest('button[data-move]');
    if (cancel) {
      const url = `${path}/shows/${cancel.dataset.show}/occurrences/${cancel.dataset.date}`;
      try {
        if (cancel.dataset.cancelled) await api(url, { method: 'DELETE' });
        else await api(url, { method: 'PUT', body: { cancelled: true } });
        await render();
      } catch (error) { say(error.message); }
    } else if (moving) {
      const o = occurrences[Number(moving.dataset.move)];
      box.querySelector('.move-form')?.remove();
      moving.closest('li').insertAdjacentHTML('beforeend', html`<form class="move-form row-form">
        <label class="visually-hidden" for="move-date">New date</label><input id="move-date" type="date" required value="${o.localStart.slice(0, 10)}">
        <label class="visually-hidden" for="move-time">New time</label><input id="move-time" type="time" required value="${o.localStart.slice(11, 16)}">
        <label for="move-playlist">Plays</label><select id="move-playlist"><option value="">The show's own</option></select>
        <button type="submit">Move</button></form>`.text);
      const form = box.querySelector('.move-form');
      form.querySelector('input').focus();
      api(`${path}/playlists`).then((lists) => {
        form.querySelector('#move-playlist').innerHTML = html`<option value="">The show's own</option>${lists.map((p) => html`<option value="${p.id}" ${p.id === o.playlistId ? 'selected' : ''}>${p.name}</option>`)}`.text;
      }).catch((error) => say(error.message));
      form.addEventListener('submit', (submit) => {
        submit.preventDefault();
        move(o, form.querySelector('#move-date').value, form.querySelector('#move-time').value, form.querySelector('#move-playlist').value);
      });
    }
  });
  // Dragging with pointer events (mouse, pen and touch alike): drop on another day's column.
  const settle = () => {
    if (deferred) { deferred = false; render(); }
  };
  box.addEventListener('pointerdown', (event) => {
    const item = event.target.closest('li.draggable');
    if (!manages || !item || event.target.closest('button, input, form')) return;
    dragging = { item, index: Number(item.dataset.index) };
    item.classList.add('dragging');
    event.preventDefault();
  });
  const over = (event) => document.elementFromPoint(event.clientX, event.clientY)?.closest('.week-day');
  box.addEventListener('pointermove', (event) => {
    if (!dragging) return;
    box.querySelectorAll('.week-day.drop').forEach((d) => d.classList.remove('drop'));
    over(event)?.classList.add('drop');
  });
  const drop = (event) => {
    if (!dragging) return;
    const { item, index } = dragging;
    dragging = null;
    item.classList.remove('dragging');
    // The column shown as the drop target is where it goes: the page above the calendar can
    // change height under a still pointer (the on-air card redraws when a track changes).
    const target = box.querySelector('.week-day.drop') ?? over(event), o = occurrences[index];
    box.querySelectorAll('.week-day.drop').forEach((d) => d.classList.remove('drop'));
    if (target && o && target.dataset.day !== o.localStart.slice(0, 10)) move(o, target.dataset.day, o.localStart.slice(11, 16));
    else settle();
  };
  const cancel = () => {
    if (!dragging) return;
    dragging.item.classList.remove('dragging');
    dragging = null;
    box.querySelectorAll('.week-day.drop').forEach((d) => d.classList.remove('drop'));
    settle();
  };
  document.addEventListener('pointerup', drop);
  document.addEventListener('pointercancel', cancel);
  return { render, stop: () => { document.removeEventListener('pointerup', drop); document.removeEventListener('pointercancel', cancel); } };
}
