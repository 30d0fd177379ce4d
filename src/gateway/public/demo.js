// The demo page's script (GET /demo.js): a file of its own because the page's Content-Security-Policy allows no
// inline script. It talks to the gateway through /wsgate.js and the demo routes (docs/gateway.md, "Demo routes").
import { WsgateClient } from '/wsgate.js';

const $ = (id) => document.getElementById(id);
const wsPath = document.querySelector('meta[name="wsgate-path"]').content;
const client = new WsgateClient(new URL(wsPath, location.href), { reconnect: { minDelay: 250, maxDelay: 5000 } });
// Server-side state belongs to a connection, so the page remembers what to restore after a reconnect.
const state = { name: null, socketId: null, groups: new Set() };
window.wsgateDemo = { client, state };

function setConnection(text) {
  const badge = $('conn-state');
  badge.dataset.state = text;
  badge.textContent = text;
}

function log(kind, parts, at = Date.now()) {
  const item = document.createElement('li');
  item.className = kind;
  item.append(span('meta', new Date(at).toLocaleTimeString()));
  for (const part of parts) item.append(part);
  const list = $('log');
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.append(item);
  while (list.children.length > 500) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}
const system = (text) => log('system', [text]);
const failure = (text) => log('error', [text]);

function span(className, text) {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

function renderIdentity() {
  $('me').textContent =
    state.name === null
      ? `not signed in${state.socketId ? ` · socket ${state.socketId}` : ''}`
      : `signed in as ${state.name} · socket ${state.socketId ?? '?'}`;
  const chips = $('groups');
  chips.replaceChildren(...[...state.groups].sort().map((g) => span('chip', g)));
}

async function run(action) {
  try {
    return await action();
  } catch (err) {
    failure(`${err.code ? `[${err.code}] ` : ''}${err.message}`);
    return undefined;
  }
}

async function restore() {
  const me = await run(() => client.request('whoami'));
  if (me) state.socketId = me.socketId ?? null;
  if (state.name !== null) await run(() => client.request('bind', { uid: state.name }));
  for (const group of state.groups) await run(() => client.request('join', { group }));
  renderIdentity();
}

client.on('open', ({ reconnected }) => {
  setConnection('connected');
  system(reconnected ? 'reconnected' : 'connected');
  void restore();
});
client.on('reconnecting', ({ attempt }) => {
  setConnection('reconnecting');
  if (attempt === 1) system('connection lost, reconnecting…');
});
client.on('close', () => {
  if (client.state === 'closed') setConnection('closed');
});
client.on('chat', (msg) => {
  // msg: {from, to: {group} | {uid} | {all: true}, text, at} (the demo routes' chat contract)
  const to = ` → ${msg.to?.group ?? msg.to?.uid ?? 'everyone'}`;
  log(
    'chat',
    [span('from', String(msg.from ?? 'anonymous')), `${to}: `, span('text', String(msg.text))],
    msg.at ?? Date.now(),
  );
});
client.on('error', (err) => {
  if (err.code) failure(`[${err.code}] ${err.message}`);
});

$('bind-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('name').value.trim();
  if (name === '') return;
  const ok = await run(() => client.request('bind', { uid: name }));
  if (ok === undefined) return;
  state.name = name;
  renderIdentity();
  system(`you are now ${name}`);
});

$('group-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const group = $('group').value.trim();
  if (group === '') return;
  const ok = await run(() => client.request('join', { group }));
  if (ok === undefined) return;
  state.groups.add(group);
  renderIdentity();
  system(`joined ${group}`);
  if ($('target').value === 'group' && $('to').value === '') $('to').value = group;
});

$('leave').addEventListener('click', async () => {
  const group = $('group').value.trim();
  if (group === '') return;
  const ok = await run(() => client.request('leave', { group }));
  if (ok === undefined) return;
  state.groups.delete(group);
  renderIdentity();
  system(`left ${group}`);
});

$('target').addEventListener('change', () => {
  const target = $('target').value;
  $('to').disabled = target === 'all';
  $('to').placeholder = target === 'group' ? 'group name' : target === 'uid' ? 'user name' : 'everyone';
});

$('send-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('text').value;
  const target = $('target').value;
  const to = $('to').value.trim();
  if (text === '') return;
  if (target !== 'all' && to === '') return failure(`pick a ${target === 'group' ? 'group' : 'user'} to send to`);
  const sent =
    target === 'group'
      ? await run(() => client.request('sendToGroup', { group: to, text }))
      : target === 'uid'
        ? await run(() => client.request('sendToUid', { uid: to, text }))
        : await run(() => client.request('sendToAll', { text }));
  if (sent !== undefined) $('text').value = '';
});

function formatUptime(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

async function pollStatus() {
  try {
    const response = await fetch('/status', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const status = await response.json();
    for (const dd of document.querySelectorAll('[data-stat]')) {
      const value = status[dd.dataset.stat];
      if (value === undefined) continue;
      dd.textContent = dd.dataset.stat === 'uptime' ? formatUptime(value) : String(value);
    }
    $('status-note').textContent = 'Polling /status every second.';
  } catch (err) {
    $('status-note').textContent = `status unavailable (${err.message})`;
  } finally {
    setTimeout(pollStatus, 1000);
  }
}
void pollStatus();
renderIdentity();
