import { api } from '../api.js';
import { html } from '../html.js';
import { duration } from '../format.js';

const FIELDS = {
  artist: 'Artist', title: 'Title', album: 'Album', genre: 'Genre', year: 'Year', duration: 'Length (seconds)',
  added: 'Added', rating: 'Rating (stars)', playCount: 'Play count', replayGain: 'ReplayGain (dB)', bpm: 'Tempo (BPM)',
};
const TEXT_OPS = { is: 'is', isNot: 'is not', contains: 'contains', notContains: 'does not contain', startsWith: 'starts with' };
const NUMBER_OPS = { is: 'is', isNot: 'is not', lessThan: 'less than', greaterThan: 'more than', between: 'between' };
const ADDED_OPS = { inLastDays: 'in the last (days)', notInLastDays: 'not in the last (days)' };
const opsFor = (field) => (['artist', 'title', 'album', 'genre'].includes(field) ? TEXT_OPS : field === 'added' ? ADDED_OPS : NUMBER_OPS);

const options = (map, selected) => Object.entries(map).map(([value, label]) => html`<option value="${value}" ${value === selected ? 'selected' : ''}>${label}</option>`);

function ruleRow(rule = { field: 'artist', op: 'is', value: '' }) {
  return html`<li class="rule-row">
    <select data-part="field" aria-label="Field">${options(FIELDS, rule.field)}</select>
    <select data-part="op" aria-label="Comparison">${options(opsFor(rule.field), rule.op)}</select>
    <input data-part="value" aria-label="Value" maxlength="200" value="${rule.value ?? ''}">
    <input data-part="to" aria-label="Up to" maxlength="20" value="${rule.to ?? ''}" ${rule.op === 'between' ? '' : 'hidden'}>
    <button type="button" class="ghost" data-remove-rule aria-label="Remove this rule">Remove</button></li>`;
}

function groupBox(group = { all: true, rules: [{ field: 'artist', op: 'is', value: '' }] }) {
  return html`<fieldset class="rule-group"><legend>Tracks matching
    <select data-part="group-all" aria-label="How the rules of this group combine"><option value="all" ${group.all ? 'selected' : ''}>all</option>
      <option value="any" ${group.all ? '' : 'selected'}>any</option></select> of:</legend>
    <ul class="plain">${group.rules.map(ruleRow)}</ul>
    <button type="button" class="ghost" data-add-rule>Add a rule</button></fieldset>`;
}

/// The smart block editor on a station's page: rules in groups over artist, genre, year,
/// length, rating and more, an order and a limit, a share of the rotation, and a live preview
/// of what the rules match as they are written.
export function smartBlockForm(path, { say, saved }) {
  const markup = html`<form id="block-form" class="show-form block-form"><fieldset><legend>New smart block</legend>
    <label for="block-name">Name</label><input id="block-name" required maxlength="200">
    <p><label class="inline" for="block-all">Play tracks matching</label>
      <select id="block-all"><option value="all">every group</option><option value="any">any group</option></select></p>
    <div id="block-groups">${groupBox()}</div>
    <button type="button" class="ghost" id="block-add-group">Add a group</button>
    <label for="block-sort">Order</label><select id="block-sort"><option value="random">Random</option><option value="newest">Newest first</option>
      <option value="leastRecentlyPlayed">Least recently played on this station</option></select>
    <label for="block-limit">Limit</label><select id="block-limit"><option value="">Everything that matches</option>
      <option value="items">A number of tracks</option><option value="minutes">A length in minutes</option></select>
    <input id="block-limit-n" type="number" min="1" max="2000" value="10" aria-label="Limit" hidden>
    <label class="day" id="block-overrun-label" hidden><input type="checkbox" id="block-overrun"> The last track may run over</label>
    <label for="block-weight">Share of the rotation (0: only where a show plays it)</label>
    <input id="block-weight" type="number" min="0" max="25" value="0">
    <div id="block-preview" class="block-preview" aria-live="polite"></div>
    <button type="submit">Save smart block</button></fieldset></form>`;

  const attach = (form) => {
    const preview = form.querySelector('#block-preview');
    const read = () => {
      const groups = [...form.querySelectorAll('.rule-group')].map((box) => ({
        all: box.querySelector('[data-part="group-all"]').value === 'all',
        rules: [...box.querySelectorAll('.rule-row')].map((row) => {
          const rule = { field: row.querySelector('[data-part="field"]').value, op: row.querySelector('[data-part="op"]').value,
            value: row.querySelector('[data-part="value"]').value.trim() };
          if (rule.op === 'between') rule.to = row.querySelector('[data-part="to"]').value.trim();
          return rule;
        }).filter((rule) => rule.value !== ''),
      })).filter((group) => group.rules.length);
      const smart = { criteria: { all: form.querySelector('#block-all').value === 'all', groups }, sort: form.querySelector('#block-sort').value };
      const limit = form.querySelector('#block-limit').value, n = Number(form.querySelector('#block-limit-n').value);
      if (limit === 'items') smart.limitItems = n;
      if (limit === 'minutes') { smart.limitMinutes = n; smart.overrun = form.querySelector('#block-overrun').checked; }
      return smart;
    };
    let timer = null, asked = 0;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const ticket = ++asked;
        try {
          const result = await api(`${path}/playlists/preview`, { method: 'POST', body: { smart: read() } });
          if (ticket !== asked) return;
          preview.innerHTML = html`<p><strong id="block-count">${result.matching.tracks} track${result.matching.tracks === 1 ? '' : 's'} match</strong>
            <span class="muted">(${duration(result.matching.durationMs)}); it would air ${result.tracks.length} (${duration(result.durationMs)})</span></p>
            <ol class="plain muted" id="block-tracks">${result.tracks.slice(0, 8).map((t) => html`<li>${t.title} — ${t.artist}</li>`)}</ol>`.text;
        } catch (error) { if (ticket === asked) preview.textContent = error.message; }
      }, 250);
    };
    form.addEventListener('input', refresh);
    form.addEventListener('change', (event) => {
      const row = event.target.closest('.rule-row');
      if (row && event.target.dataset.part === 'field') {
        const op = row.querySelector('[data-part="op"]');
        op.innerHTML = options(opsFor(event.target.value)).map((o) => o.text).join('');
      }
      if (row) row.querySelector('[data-part="to"]').hidden = row.querySelector('[data-part="op"]').value !== 'between';
      const limit = form.querySelector('#block-limit').value;
      form.querySelector('#block-limit-n').hidden = !limit;
      form.querySelector('#block-overrun-label').hidden = limit !== 'minutes';
      refresh();
    });
    form.addEventListener('click', (event) => {
      if (event.target.closest('[data-add-rule]')) {
        event.target.closest('.rule-group').querySelector('ul').insertAdjacentHTML('beforeend', ruleRow().text);
      } else if (event.target.closest('[data-remove-rule]')) {
        event.target.closest('.rule-row').remove();
        refresh();
      } else if (event.target.id === 'block-add-group') {
        form.querySelector('#block-groups').insertAdjacentHTML('beforeend', groupBox().text);
      }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = form.querySelector('#block-name').value.trim();
      try {
        await api(`${path}/playlists`, { method: 'POST', body: { name, kind: 'smart', smart: read(), rotationWeight: Number(form.querySelector('#block-weight').value) } });
        say(`${name} saved.`);
        form.querySelector('#block-name').value = '';
        await saved();
      } catch (error) { say(error.message); }
    });
    refresh();
  };
  return { markup, attach };
}
