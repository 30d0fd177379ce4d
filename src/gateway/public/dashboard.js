// The dashboard's script (GET /dashboard.js): a file of its own because the page's Content-Security-Policy allows
// no inline script. Every second it asks GET /dashboard/stats (the whole deployment, like /status with the key),
// keeps the last five minutes and draws them on canvases. The API key goes in the Authorization header, never in a
// URL, and is kept in this tab's sessionStorage only.

const HISTORY = 300; // samples, one a second: the last five minutes
const POLL_MS = 1000;
const KEY_STORE = 'wsgate-dashboard-key';
const PALETTE = ['#2f6fed', '#1f9d55', '#d98b00', '#d64545', '#8a4fd8', '#0f9fb4', '#c2417d', '#6b7385'];

const $ = (id) => document.getElementById(id);
/** { at, presence, totals, nodes: Map(nodeId → node stats) }, oldest first. */
const samples = [];
let apiKey = sessionStorage.getItem(KEY_STORE);
let timer = null;
// For the browser test and for operators poking around in the console.
window.wsgateDashboard = { samples };

function setState(state, text = state) {
  const badge = $('state');
  badge.dataset.state = state;
  badge.textContent = text;
}

function lock(message) {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  apiKey = null;
  sessionStorage.removeItem(KEY_STORE);
  $('charts').hidden = true;
  $('key-form').hidden = false;
  $('key-error').textContent = message;
  setState('locked');
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  apiKey = $('key').value;
  $('key').value = '';
  $('key-error').textContent = '';
  sessionStorage.setItem(KEY_STORE, apiKey);
  start();
});

function start() {
  $('key-form').hidden = true;
  $('charts').hidden = false;
  setState('connecting');
  if (timer === null) poll();
}

async function poll() {
  timer = null;
  const began = Date.now();
  try {
    const res = await fetch('/dashboard/stats', {
      headers: { authorization: `Bearer ${apiKey}` },
      cache: 'no-store',
    });
    if (res.status === 401) return lock('wrong API key');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    record(await res.json());
    setState('live');
  } catch (error) {
    setState('error', `error: ${error.message}`);
  }
  if (apiKey !== null) timer = setTimeout(poll, Math.max(0, began + POLL_MS - Date.now()));
}

function record(body) {
  const nodes = new Map();
  for (const node of body.nodes) nodes.set(node.nodeId, node);
  samples.push({ at: Date.now(), presence: body.cluster.presence, totals: body.cluster.totals, nodes });
  while (samples.length > HISTORY) samples.shift();
  render(body);
}

// ── series ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Per-second rate of a counter between two samples; a counter that went down (a node restarted) counts as 0. */
function rate(prev, cur, read) {
  if (prev === undefined) return null;
  const a = read(prev);
  const b = read(cur);
  if (a === undefined || b === undefined) return null;
  const seconds = (cur.at - prev.at) / 1000;
  return seconds > 0 && b >= a ? (b - a) / seconds : 0;
}

const nodeIds = () => {
  const ids = new Set();
  for (const s of samples) for (const id of s.nodes.keys()) ids.add(id);
  return [...ids].sort();
};

function series(name, read) {
  return { name, values: samples.map((s, i) => read(s, samples[i - 1])) };
}

const nodeCounter = (id, field) => (s) => s.nodes.get(id)?.[field];

const CHARTS = {
  connections: () => [
    series('total', (s) => s.totals.sockets),
    ...nodeIds().map((id) => series(`node ${id}`, (s) => s.nodes.get(id)?.sockets ?? null)),
  ],
  messages: () => [
    series('in', (s, p) => rate(p, s, (x) => x.totals.messagesIn)),
    series('out', (s, p) => rate(p, s, (x) => x.totals.messagesOut)),
  ],
  nodeMessages: () => nodeIds().map((id) => series(`node ${id}`, (s, p) => rate(p, s, nodeCounter(id, 'messagesIn')))),
  groups: () => [series('groups', (s) => s.presence.groups), series('uids', (s) => s.presence.uids)],
  heartbeat: () => [series('terminated', (s, p) => rate(p, s, (x) => x.totals.heartbeatTimeouts))],
  errors: () => {
    const codes = new Set();
    for (const s of samples) for (const [code, n] of Object.entries(s.totals.errorsByCode)) if (n > 0) codes.add(code);
    if (codes.size === 0) return [series('all codes', (s, p) => rate(p, s, (x) => x.totals.errorsOut))];
    return [...codes].sort().map((code) => series(code, (s, p) => rate(p, s, (x) => x.totals.errorsByCode[code])));
  },
};

// ── drawing ─────────────────────────────────────────────────────────────────────────────────────────────────────

function niceMax(value) {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 6, 8, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function formatNumber(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value.toFixed(1);
}

function draw(canvas, list) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const left = 44;
  const bottom = height - 18;
  const top = 6;
  const plotWidth = width - left - 6;
  let max = 0;
  for (const s of list) for (const v of s.values) if (v !== null && v > max) max = v;
  max = niceMax(max);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7385';
  g.strokeStyle = '#e2e5eb';
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = Math.round(bottom - ((bottom - top) * i) / 4) + 0.5;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(width - 6, y);
    g.stroke();
    g.textAlign = 'right';
    g.fillText(formatNumber((max * i) / 4), left - 6, y + 4);
  }
  g.textAlign = 'center';
  for (let m = 0; m <= 5; m++) {
    const x = left + plotWidth - (plotWidth * m * 60) / (HISTORY - 1);
    g.fillText(m === 0 ? 'now' : `-${m}m`, Math.min(Math.max(x, left + 10), width - 16), height - 4);
  }
  const offset = HISTORY - samples.length;
  list.forEach((s, index) => {
    g.strokeStyle = PALETTE[index % PALETTE.length];
    g.lineWidth = index === 0 ? 2 : 1.5;
    g.beginPath();
    let drawing = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        drawing = false;
        return;
      }
      const x = left + (plotWidth * (offset + i)) / (HISTORY - 1);
      const y = bottom - ((bottom - top) * v) / max;
      if (drawing) g.lineTo(x, y);
      else g.moveTo(x, y);
      drawing = true;
    });
    g.stroke();
  });
}

function legend(element, list) {
  element.replaceChildren(
    ...list.map((s, index) => {
      const item = document.createElement('span');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = PALETTE[index % PALETTE.length];
      const last = s.values.at(-1);
      item.append(swatch, `${s.name} ${last === null || last === undefined ? '–' : formatNumber(last)}`);
      return item;
    }),
  );
}

function formatBytes(bytes) {
  return bytes === undefined ? '–' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function formatUptime(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

function render(body) {
  for (const section of document.querySelectorAll('[data-chart]')) {
    const list = CHARTS[section.dataset.chart]();
    draw(section.querySelector('canvas'), list);
    legend(section.querySelector('.legend'), list);
    // What the chart shows now, for tests and curious operators.
    section.dataset.last = JSON.stringify(Object.fromEntries(list.map((s) => [s.name, s.values.at(-1)])));
  }
  const cur = samples.at(-1);
  const prev = samples.at(-2);
  $('node-rows').replaceChildren(
    ...body.nodes.map((node) => {
      const row = document.createElement('tr');
      const inRate = rate(prev, cur, nodeCounter(node.nodeId, 'messagesIn'));
      const outRate = rate(prev, cur, nodeCounter(node.nodeId, 'messagesOut'));
      for (const text of [
        node.nodeId,
        node.pid ?? '–',
        node.sockets,
        node.uids,
        node.groups,
        inRate === null ? '–' : formatNumber(inRate),
        outRate === null ? '–' : formatNumber(outRate),
        formatBytes(node.memory?.rss),
        formatUptime(node.uptime),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = String(text);
        row.append(cell);
      }
      return row;
    }),
  );
  const partial = body.cluster.partial === undefined ? '' : ` (partial: ${body.cluster.partial})`;
  $('summary').textContent =
    `${body.cluster.nodes} node(s), ${body.cluster.presence.sockets} sockets, ` +
    `${body.cluster.presence.uids} uids, ${body.cluster.presence.groups} groups${partial}`;
  $('charts').dataset.samples = String(samples.length);
}

window.addEventListener('resize', () => {
  if (samples.length > 0)
    for (const section of document.querySelectorAll('[data-chart]'))
      draw(section.querySelector('canvas'), CHARTS[section.dataset.chart]());
});

if (apiKey !== null) start();
