import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { bars, heatmap } from '../charts.js';
import { errorMessage } from '../components.js';

export const title = 'Statistics';
const RANGES = [['this_week', 'This week'], ['this_month', 'This month'], ['this_year', 'This year'], ['week', 'Last week'],
  ['month', 'Last month'], ['year', 'Last year'], ['all_time', 'All time']];

export async function render(main, { query }) {
  const range = RANGES.some(([r]) => r === query.get('range')) ? query.get('range') : 'all_time';
  const user = encodeURIComponent(store.state.me.username);
  main.innerHTML = html`<h1>Statistics</h1>
    <nav aria-label="Range" class="chips">${RANGES.map(([r, name]) => html`<a href="#/stats?range=${r}" ${r === range ? html`aria-current="true"` : ''}>${name}</a>`)}</nav>
    <section aria-labelledby="sa"><h2 id="sa">Top artists</h2><div id="artists">Loading…</div></section>
    <section aria-labelledby="sr"><h2 id="sr">Top albums</h2><div id="releases">Loading…</div></section>
    <section aria-labelledby="st"><h2 id="st">Top tracks</h2><div id="recordings">Loading…</div></section>
    <section aria-labelledby="sl"><h2 id="sl">Listening activity</h2><div id="activity">Loading…</div></section>
    <section aria-labelledby="sd"><h2 id="sd">By weekday and hour</h2><div id="daily">Loading…</div></section>`.text;
  const get = (entity, extra = '') => api(`/1/stats/user/${user}/${entity}?range=${range}${extra}`).then((r) => r.payload);
  const fill = async (id, load) => {
    try { main.querySelector(id).innerHTML = (await load()).text; } catch (error) { main.querySelector(id).innerHTML = errorMessage(error).text; }
  };
  await Promise.all([
    fill('#artists', async () => bars((await get('artists', '&count=10')).artists, { label: (a) => a.artist_name, value: (a) => a.listen_count })),
    fill('#releases', async () => bars((await get('releases', '&count=10')).releases, { label: (r) => `${r.release_name} — ${r.artist_name}`, value: (r) => r.listen_count })),
    fill('#recordings', async () => bars((await get('recordings', '&count=10')).recordings, { label: (r) => `${r.track_name} — ${r.artist_name}`, value: (r) => r.listen_count })),
    fill('#activity', async () => bars((await get('listening-activity')).listening_activity, { label: (a) => a.time_range, value: (a) => a.listen_count })),
    fill('#daily', async () => heatmap((await get('daily-activity')).daily_activity)),
  ]);
}
