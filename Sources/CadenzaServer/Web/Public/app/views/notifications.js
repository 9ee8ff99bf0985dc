import { api } from '../api.js';
import { html } from '../html.js';
import { store } from '../store.js';
import { errorMessage } from '../components.js';

// The inbox, where notifications go (destinations) and what is watched (rules, with a preview).

export const title = 'Notifications';

const TRACKING = [
  ['mentions', 'Things about me (follows, my imports, my account)'],
  ['followed', 'Things I follow (a station, a library)'],
  ['users', 'What people do (listens, playing now)'],
  ['owned', 'Things I own'],
  ['admin', 'The server (administrators)'],
];
const FORMATS = [['standard', 'Signed JSON (Standard Webhooks)'], ['ntfy', 'ntfy (topic URL)'], ['gotify', 'Gotify (/message URL)']];
const STATUS = { pending: 'Waiting for confirmation', active: 'Active', disabled: 'Turned off' };

const when = (iso) => new Date(iso).toLocaleString();
// Only the server's own pages become links.
const link = (item) => (item.link && item.link.startsWith('/') ? html`<a href="${item.link}">${item.title}</a>` : item.title);

export async function render(main, params) {
  main.innerHTML = html`<h1>Notifications</h1>
    <section aria-labelledby="inbox-h"><h2 id="inbox-h">Inbox</h2>
      <p><button type="button" id="read-all">Mark all read</button></p>
      <ul class="inbox" id="inbox"></ul>
    </section>
    <section aria-labelledby="dest-h"><h2 id="dest-h">Where they go</h2>
      <ul class="notify-list" id="destinations"></ul>
      <form id="dest-form">
        <label for="dest-kind">Add</label>
        <select id="dest-kind"><option value="email">An email address</option><option value="webhook">A webhook (ntfy, Gotify, your own)</option></select>
        <label for="dest-address">Address or URL</label><input id="dest-address" required maxlength="2000">
        <label for="dest-format">Webhook format</label>
        <select id="dest-format">${FORMATS.map(([v, n]) => html`<option value="${v}">${n}</option>`)}</select>
        <label for="dest-secret">Webhook token (ntfy, Gotify; a signed webhook gets a secret made for it)</label><input id="dest-secret" maxlength="200" autocomplete="off">
        <label for="dest-digest">Send</label>
        <select id="dest-digest"><option value="0">At once</option><option value="15">Gathered every 15 minutes</option><option value="60">Hourly</option><option value="daily">Daily at 08:00</option></select>
        <button type="submit">Add</button>
      </form>
      <p id="dest-secret-shown" role="status"></p>
    </section>
    <section aria-labelledby="rules-h"><h2 id="rules-h">What you are told about</h2>
      <ul class="notify-list" id="rules"></ul>
      <form id="rule-form"><h3>New rule</h3>
        <label for="rule-name">Name</label><input id="rule-name" maxlength="100" placeholder="e.g. Friends listening">
        <label for="rule-tracking">Watch</label>
        <select id="rule-tracking">${TRACKING.filter(([v]) => v !== 'admin' || store.state.me?.role === 'admin').map(([v, n]) => html`<option value="${v}">${n}</option>`)}</select>
        <label for="rule-targets">Which (station:jazz, library:3; user ids or "following" for people)</label><input id="rule-targets" maxlength="2000">
        <label for="rule-types">Event types (space-separated, * matches anything; empty: all)</label><input id="rule-types" maxlength="500" list="rule-kinds">
        <datalist id="rule-kinds"></datalist>
        <label for="rule-severity">At least</label>
        <select id="rule-severity"><option value="info">Everything</option><option value="warning">Warnings and errors</option><option value="error">Errors only</option></select>
        <label><input type="checkbox" id="rule-own"> Include what I do myself</label>
        <label><input type="checkbox" id="rule-once"> Tell me once, then turn the rule off</label>
        <label for="rule-quiet-start">Quiet from (nothing sent outside the app)</label><input id="rule-quiet-start" type="time">
        <label for="rule-quiet-end">until</label><input id="rule-quiet-end" type="time">
        <fieldset id="rule-dests"><legend>Send to</legend></fieldset>
        <p><button type="button" id="rule-preview">Preview</button> <button type="submit">Add rule</button></p>
        <p id="rule-preview-result" role="status"></p>
      </form>
    </section>
    <p id="notify-status" role="status"></p>`.text;
  const say = (text) => { main.querySelector('#notify-status').textContent = text; };
  let destinations = [];

  const loadInbox = async () => {
    const inbox = await api('/api/v1/notifications?limit=100');
    store.set({ unread: inbox.unread });
    main.querySelector('#inbox').innerHTML = inbox.items.length ? inbox.items.map((item) => html`<li class="${item.read ? '' : 'unread'} sev-${item.severity}">
      <span class="title">${link(item)}</span>${item.body ? html`<br>${item.body}` : ''}<br><span class="when">${when(item.createdAt)}</span></li>`.text).join('')
      : '<li>Nothing yet.</li>';
  };
  const loadDestinations = async () => {
    destinations = await api('/api/v1/notification-destinations');
    main.querySelector('#destinations').innerHTML = destinations.map((d) => html`<li data-dest="${d.id}">
      <span class="grow"><strong>${d.name}</strong> ${d.kind === 'inbox' ? '' : html`<span class="when">${d.kind}${d.format ? ` · ${d.format}` : ''}</span>`}
      <br><span class="dest-status">${STATUS[d.status] || d.status}</span>${d.digestMinutes ? ` · digest every ${d.digestMinutes} min` : ''}${d.digestAt ? ` · daily digest at ${d.digestAt}` : ''}
      ${d.lastError ? html`<br><span class="error">Last error: ${d.lastError}</span>` : ''}
      ${d.deliveries.sent ? html`<br><span class="when">${d.deliveries.sent} sent</span>` : ''}</span>
      ${d.kind === 'inbox' ? '' : html`<button type="button" data-test="${d.id}">${d.status === 'pending' && d.kind === 'email' ? 'Send the link again' : 'Send a test'}</button>
        <button type="button" data-toggle="${d.id}" data-on="${d.status === 'disabled' ? '1' : '0'}">${d.status === 'disabled' ? 'Turn on' : 'Turn off'}</button>
        <button type="button" data-remove="${d.id}" aria-label="Remove ${d.name}">Remove</button>`}</li>`.text).join('');
    main.querySelector('#rule-dests').innerHTML = '<legend>Send to</legend>' + destinations.filter((d) => d.status !== 'disabled').map((d) => html`<label>
      <input type="checkbox" name="dest" value="${d.id}" ${d.kind === 'inbox' ? html`checked` : ''}> ${d.name}</label>`.text).join('');
  };
  const loadRules = async () => {
    const rules = await api('/api/v1/notification-rules');
    const names = Object.fromEntries(destinations.map((d) => [d.id, d.name]));
    main.querySelector('#rules').innerHTML = rules.map((r) => html`<li data-rule="${r.id}" id="rule-${r.id}">
      <span class="grow"><strong>${r.name}</strong>${r.enabled ? '' : ' (off)'}<br><span class="when">${TRACKING.find(([v]) => v === r.tracking)?.[1] || r.tracking}${r.targets.length ? `: ${r.targets.join(', ')}` : ''}${r.types.length ? ` · ${r.types.join(' ')}` : ''}
      → ${r.destinationIds.map((id) => names[id] || id).join(', ')} · fired ${r.firedCount} time(s)</span></span>
      <button type="button" data-enable="${r.id}" data-on="${r.enabled ? '0' : '1'}">${r.enabled ? 'Turn off' : 'Turn on'}</button>
      <button type="button" data-delete="${r.id}" aria-label="Delete ${r.name}">Delete</button></li>`.text).join('');
  };
  const ruleBody = () => {
    const f = (id) => main.querySelector(id);
    const split = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    const body = { tracking: f('#rule-tracking').value, targets: split(f('#rule-targets').value), types: split(f('#rule-types').value),
      minSeverity: f('#rule-severity').value, includeOwn: f('#rule-own').checked, oneShot: f('#rule-once').checked,
      destinationIds: [...main.querySelectorAll('input[name=dest]:checked')].map((c) => c.value) };
    if (f('#rule-name').value.trim()) body.name = f('#rule-name').value.trim();
    if (f('#rule-quiet-start').value && f('#rule-quiet-end').value) {
      Object.assign(body, { quietStart: f('#rule-quiet-start').value, quietEnd: f('#rule-quiet-end').value,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
    }
    return body;
  };

  try {
    await Promise.all([loadInbox(), loadDestinations()]);
    await loadRules();
    const kinds = await api('/api/v1/notification-kinds');
    main.querySelector('#rule-kinds').innerHTML = kinds.map((k) => html`<option value="${k.type}"></option>`.text).join('');
  } catch (error) {
    main.querySelector('#notify-status').innerHTML = errorMessage(error).text;
    return;
  }
  const focusRule = params.query?.get('rule');
  if (focusRule) main.querySelector(`#rule-${CSS.escape(focusRule)}`)?.scrollIntoView();

  main.querySelector('#read-all').addEventListener('click', async () => {
    try {
      const result = await api('/api/v1/notifications/read', { method: 'POST', body: {} });
      store.set({ unread: result.unread });
      await loadInbox();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#dest-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = main.querySelector('#dest-kind').value;
    const digest = main.querySelector('#dest-digest').value;
    const body = { kind, address: main.querySelector('#dest-address').value.trim() };
    if (digest === 'daily') Object.assign(body, { digestAt: '08:00', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
    else body.digestMinutes = Number(digest);
    if (kind === 'webhook') {
      body.format = main.querySelector('#dest-format').value;
      if (main.querySelector('#dest-secret').value) body.secret = main.querySelector('#dest-secret').value;
    }
    try {
      const made = await api('/api/v1/notification-destinations', { method: 'POST', body });
      main.querySelector('#dest-secret-shown').textContent = made.secret ? `Signing secret (shown once): ${made.secret}` : '';
      say(kind === 'email' ? `A confirmation link is on its way to ${made.address}.` : 'A test message is on its way; the webhook is used once it answers.');
      event.target.reset();
      await loadDestinations();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#destinations').addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    try {
      if (button.dataset.test) {
        await api(`/api/v1/notification-destinations/${button.dataset.test}/test`, { method: 'POST' });
        say('Sent. Its outcome shows here in a moment.');
        setTimeout(() => loadDestinations().catch(() => {}), 3000);
      } else if (button.dataset.toggle) {
        await api(`/api/v1/notification-destinations/${button.dataset.toggle}`, { method: 'PATCH', body: { enabled: button.dataset.on === '1' } });
        await loadDestinations();
      } else if (button.dataset.remove) {
        await api(`/api/v1/notification-destinations/${button.dataset.remove}`, { method: 'DELETE' });
        await loadDestinations();
        await loadRules();
      }
    } catch (error) { say(error.message); }
  });
  main.querySelector('#rule-preview').addEventListener('click', async () => {
    const out = main.querySelector('#rule-preview-result');
    try {
      const preview = await api('/api/v1/notification-rules/preview', { method: 'POST', body: ruleBody() });
      out.textContent = `In the last ${preview.days} days this rule would have fired ${preview.matched} time(s)` +
        (preview.examples.length ? `: ${preview.examples.join('; ')}` : '.');
    } catch (error) { out.textContent = error.message; }
  });
  main.querySelector('#rule-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('/api/v1/notification-rules', { method: 'POST', body: ruleBody() });
      event.target.reset();
      main.querySelector('#rule-preview-result').textContent = '';
      say('Rule added.');
      await loadDestinations();
      await loadRules();
    } catch (error) { say(error.message); }
  });
  main.querySelector('#rules').addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    try {
      if (button.dataset.enable) {
        await api(`/api/v1/notification-rules/${button.dataset.enable}`, { method: 'PATCH', body: { enabled: button.dataset.on === '1' } });
      } else if (button.dataset.delete) {
        await api(`/api/v1/notification-rules/${button.dataset.delete}`, { method: 'DELETE' });
      }
      await loadRules();
    } catch (error) { say(error.message); }
  });
  // New notifications appear while the page is open.
  const onEvent = (event) => { if (event.detail.type === 'notification.created') loadInbox().catch(() => {}); };
  store.addEventListener('event', onEvent);
  return () => store.removeEventListener('event', onEvent);
}
