/*
 * dashboard.js - ask the server for GET /stats ten times a second, and draw it.
 *
 * The page is one loop: fetch /stats, keep the answer as a sample, redraw. It is
 * the same thing as `watch -n 0.1 curl -s .../stats`, with a memory: the samples
 * of the last 30 seconds become a graph, and differences between samples become
 * rates ("calls served per second").
 *
 * The page only ever asks for /stats, never /say-hi, so it adds nothing to the
 * say-hi counters. Its requests carry an X-Dashboard header, which keeps them out
 * of the server's access log (ten lines a second would bury the calls that matter).
 *
 * What the page has seen is also written into <body data-...> attributes, so that
 * a test (tests/test_dashboard.c) can read from the page itself what it showed.
 */
'use strict';

const POLL_MS = 100;            // pause between two polls: about ten samples a second
const RETRY_MS = 1000;          // pause after a failed poll
const STATS_TIMEOUT_MS = 2000;  // an answer slower than this counts as none
const WINDOW_MS = 30000;        // the graph shows the last 30 s
const RATE_WINDOW_MS = 1000;    // a rate is measured over the last second

/* Where the graph is drawn inside the SVG's viewBox (0 0 800 220): room for labels. */
const PLOT = {left: 56, right: 786, top: 14, bottom: 192};

const SVG_NS = 'http://www.w3.org/2000/svg';
const byId = (id) => document.getElementById(id);

/*
 * One sample per answer: {at, inFlight, totals}. `at` is the page's clock in ms.
 * `totals` are counters that only grow, even across a POST /stats/reset (see
 * addToTotals), so that a rate is always "this total now minus a second ago".
 */
const samples = [];
const totals = {served: 0, rateLimited: 0, requests: {}};
let previous = null;       // the last answer, to tell what changed
let peakInFlight = 0;      // the most calls in flight this page has seen (since a reset)
let sampleCount = 0;

/* ---- asking the server ---------------------------------------------------- */

/*
 * Where to ask. The first answer comes from this page's own port; it names the
 * server's stats port (stats_url), which has worker threads of its own: while
 * every say-hi worker is busy, a /stats on the main port would wait in line
 * behind the calls, and the graph would freeze just when it matters. The stats
 * port keeps no access log, so its polls need no X-Dashboard header either.
 */
let statsBase = '';

async function fetchStats() {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), STATS_TIMEOUT_MS);
  try {
    const reply = await fetch(statsBase + '/stats', {
      cache: 'no-store',
      signal: abort.signal,
      headers: statsBase === '' ? {'X-Dashboard': 'poll'} : {},
    });
    if (!reply.ok)
      throw new Error(`GET /stats answered ${reply.status}`);
    const stats = await reply.json();
    if (typeof stats.stats_url === 'string')
      statsBase = stats.stats_url;
    return stats;
  } catch (error) {
    statsBase = ''; /* ask the page's own port again; it names the stats port anew */
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/* The loop: one poll, then the next after a pause. Never two at once. */
async function poll() {
  let pause = POLL_MS;
  try {
    const stats = await fetchStats();
    record(stats, performance.now());
    show(stats);
    showConnection('live', `live, ${Math.round(1000 / POLL_MS)} samples a second`);
  } catch (error) {
    const slow = error.name === 'AbortError';
    showConnection('offline', slow ? 'no answer from /stats in 2 s: is the server overloaded?'
                                   : `server not answering (${error.message}): retrying`);
    pause = RETRY_MS;
  }
  setTimeout(poll, pause);
}

async function resetCounts() {
  try {
    const reply = await fetch(statsBase + '/stats/reset', {method: 'POST'});
    if (!reply.ok)
      throw new Error(`POST /stats/reset answered ${reply.status}`);
    peakInFlight = 0;
  } catch (error) {
    showConnection('offline', `reset failed: ${error.message}`);
  }
}

/* ---- keeping the samples -------------------------------------------------- */

/* How much a counter grew. One that went down was reset: it grew by its new value. */
function growth(now, before) {
  return now >= before ? now - before : now;
}

function addToTotals(stats) {
  const before = previous ?? {served: 0};
  totals.served += growth(stats.served, before.served);
  const firecrest = stats.firecrest;
  if (firecrest === undefined)
    return;
  const firecrestBefore = before.firecrest ?? {requests: {}, rate_limited: 0};
  totals.rateLimited += growth(firecrest.rate_limited, firecrestBefore.rate_limited);
  for (const [service, count] of Object.entries(firecrest.requests)) {
    const old = firecrestBefore.requests[service] ?? 0;
    totals.requests[service] = (totals.requests[service] ?? 0) + growth(count, old);
  }
}

function record(stats, at) {
  /* Someone sent POST /stats/reset (the button, or curl): start the peak afresh. */
  const wasReset = previous !== null &&
                   (stats.served < previous.served || stats.max_in_flight < previous.max_in_flight);
  if (wasReset)
    peakInFlight = 0;
  addToTotals(stats);
  peakInFlight = Math.max(peakInFlight, stats.in_flight);
  samples.push({at, inFlight: stats.in_flight, totals: structuredClone(totals)});
  while (samples.length > 0 && samples[0].at < at - WINDOW_MS - 1000)
    samples.shift();
  previous = stats;
  sampleCount++;
}

/* The growth of one total per second, over about the last second of samples. */
function ratePerSecond(pick) {
  const latest = samples[samples.length - 1];
  const since = latest.at - RATE_WINDOW_MS;
  const first = samples.find((sample) => sample.at >= since);
  if (first === undefined || first === latest)
    return 0;
  return (pick(latest.totals) - pick(first.totals)) * 1000 / (latest.at - first.at);
}

/* ---- showing them --------------------------------------------------------- */

function showConnection(state, text) {
  const connection = byId('connection');
  connection.className = `connection ${state}`;
  connection.textContent = text;
  document.body.dataset.state = state;
}

function show(stats) {
  byId('in-flight').textContent = stats.in_flight;
  byId('peak-in-flight').textContent = peakInFlight;
  byId('max-in-flight').textContent = stats.max_in_flight;
  byId('served').textContent = stats.served;
  byId('served-per-second').textContent = Math.round(ratePerSecond((t) => t.served));
  byId('delay').textContent = stats.delay_ms === undefined ? '–' : formatDelay(stats.delay_ms);
  byId('threads').textContent = stats.threads ?? '–';
  drawGraph(stats.threads);
  if (stats.firecrest !== undefined)
    showFirecrest(stats.firecrest);

  const data = document.body.dataset;
  data.samples = sampleCount;
  data.inFlight = stats.in_flight;
  data.peakInFlight = peakInFlight;
  data.served = stats.served;
}

function formatDelay(ms) {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/* The smallest of 5, 10, 20, 30, 50, 100, 200, 300, 500, ... that is >= value. */
function niceCeiling(value) {
  for (let power = 1; ; power *= 10)
    for (const step of [1, 2, 3, 5])
      if (step * power >= Math.max(value, 5))
        return step * power;
}

/* Grid lines that fall on whole numbers: 5 steps of a 1 or 5, 4 of a 2, 3 of a 3. */
function gridSteps(yMax) {
  const leading = Number(String(yMax)[0]);
  return leading === 2 ? 4 : leading === 3 ? 3 : 5;
}

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes))
    element.setAttribute(key, value);
  if (text !== undefined)
    element.textContent = text;
  return element;
}

function drawGrid(grid, yMax, threads) {
  grid.replaceChildren();
  const yOf = (value) => PLOT.bottom - (value / yMax) * (PLOT.bottom - PLOT.top);
  const steps = gridSteps(yMax);
  for (let i = 0; i <= steps; i++) {
    const value = (yMax / steps) * i;
    const y = yOf(value);
    grid.append(svgElement('line', {x1: PLOT.left, x2: PLOT.right, y1: y, y2: y}));
    grid.append(svgElement('text', {x: PLOT.left - 8, y: y + 4, 'text-anchor': 'end'}, value));
  }
  for (let secondsAgo = 30; secondsAgo >= 0; secondsAgo -= 10) {
    const x = PLOT.right - (secondsAgo * 1000 / WINDOW_MS) * (PLOT.right - PLOT.left);
    grid.append(svgElement('line', {x1: x, x2: x, y1: PLOT.top, y2: PLOT.bottom}));
    grid.append(svgElement('text', {x, y: PLOT.bottom + 20, 'text-anchor': 'middle'},
                           secondsAgo === 0 ? 'now' : `−${secondsAgo} s`));
  }
  /* The server serves at most `threads` calls at once: more wait in line for a worker. */
  if (threads !== undefined && threads <= yMax) {
    grid.append(svgElement('line', {class: 'ceiling', x1: PLOT.left, x2: PLOT.right,
                                    y1: yOf(threads), y2: yOf(threads)}));
    const labelY = yOf(threads) - 6 < PLOT.top + 14 ? yOf(threads) + 16 : yOf(threads) - 6;
    grid.append(svgElement('text', {class: 'ceiling-label', x: PLOT.left + 6, y: labelY},
                           `${threads} worker threads: calls beyond wait in line`));
  }
}

function drawGraph(threads) {
  const now = samples[samples.length - 1].at;
  const shown = samples.filter((sample) => sample.at >= now - WINDOW_MS);
  const yMax = niceCeiling(Math.max(...shown.map((sample) => sample.inFlight)));
  const graph = byId('graph');
  drawGrid(byId('grid'), yMax, threads);

  const points = shown.map((sample) => {
    const x = PLOT.right - ((now - sample.at) / WINDOW_MS) * (PLOT.right - PLOT.left);
    const y = PLOT.bottom - (sample.inFlight / yMax) * (PLOT.bottom - PLOT.top);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  byId('in-flight-line').setAttribute('points', points.join(' '));
  const firstX = points[0].split(',')[0], lastX = points[points.length - 1].split(',')[0];
  const area = `${firstX},${PLOT.bottom} ${points.join(' ')} ${lastX},${PLOT.bottom}`;
  byId('in-flight-area').setAttribute('points', area);
  /* The scale, for whoever reads the drawing back (the test): value = yMax * height. */
  graph.dataset.yMax = yMax;
  graph.dataset.plotTop = PLOT.top;
  graph.dataset.plotBottom = PLOT.bottom;
}

/* One table row per microservice: a bar of its requests per second against its limit. */
function showFirecrest(firecrest) {
  byId('firecrest').hidden = false;
  const body = byId('services');
  const limits = firecrest.rate_limits ?? {};
  for (const [service, total] of Object.entries(firecrest.requests)) {
    let row = byId(`service-${service}`);
    if (row === null) {
      row = document.createElement('tr');
      row.id = `service-${service}`;
      row.innerHTML = '<td></td>' +
                      '<td><div class="bar"><div class="fill"></div><span class="text"></span></div></td>' +
                      '<td></td><td></td>';
      row.cells[0].textContent = service;
      body.append(row);
    }
    const rate = ratePerSecond((t) => t.requests[service] ?? 0);
    const limit = limits[service];
    const fill = row.querySelector('.fill');
    fill.style.width = limit > 0 ? `${Math.min(100, (rate / limit) * 100)}%` : '0';
    fill.classList.toggle('over', limit > 0 && rate > limit);
    row.querySelector('.text').textContent = `${rate.toFixed(1)}/s`;
    row.cells[2].textContent = limit === undefined ? '–' : limit > 0 ? `${limit}/s` : 'none';
    row.cells[3].textContent = total;
  }
  byId('rate-limited-per-second').textContent = ratePerSecond((t) => t.rateLimited).toFixed(1);
  byId('rate-limited').textContent = firecrest.rate_limited;
}

/* ---- start ---------------------------------------------------------------- */

for (const origin of document.querySelectorAll('.origin'))
  origin.textContent = location.origin;
byId('reset').addEventListener('click', resetCounts);
poll();
