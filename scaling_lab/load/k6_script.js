// k6 script rendered by scaling-lab from a scenario file. Edit the scenario, not this file.
// Runtime settings come from the environment so the script holds no secret and no target:
//   SL_BASE_URL  base URL of the API            SL_API_KEYS  comma-separated API keys
//   SL_API_KEY_SHARES  comma-separated share of each key (scenario keys), optional
//   SL_RUN_ID    run id carried by every event  SL_PREFILL   inbox backlog to create in setup()
//   SL_GOVERNOR  1: start the local stack's capacity emulation clock (and faults) in setup()
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

const CONFIG = /*@CONFIG@*/;

export const options = /*@OPTIONS@*/;

const BASE_URL = (__ENV.SL_BASE_URL || '').replace(/\/+$/, '');
const API_KEYS = (__ENV.SL_API_KEYS || '').split(',').filter((k) => k.length > 0);
const RUN_ID = __ENV.SL_RUN_ID || 'run';
const PREFILL = parseInt(__ENV.SL_PREFILL || '0', 10);
const GOVERNOR = __ENV.SL_GOVERNOR === '1';
// Epoch milliseconds at the end of setup(): scenario time 0 for the result's per-second series.
const startMark = new Counter('scaling_lab_start_ms');

if (!BASE_URL) {
  throw new Error('SL_BASE_URL is not set');
}

// Deterministic pseudo-random numbers (mulberry32) so payload sizes follow the scenario's seed.
function rng(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILLER = (function () {
  const r = rng(CONFIG.seed);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
  let s = '';
  for (let i = 0; i < CONFIG.size_max; i++) {
    s += alphabet[Math.floor(r() * alphabet.length)];
  }
  return s;
})();

// Each tenant's share of the traffic (scenario keys): an iteration picks its key by share.
const KEY_CUM = (__ENV.SL_API_KEY_SHARES || '')
  .split(',')
  .filter((x) => x.length > 0)
  .map(Number)
  .reduce((acc, x) => {
    acc.push((acc.length ? acc[acc.length - 1] : 0) + x);
    return acc;
  }, []);

function keyIndex() {
  if (API_KEYS.length > 1 && KEY_CUM.length === API_KEYS.length) {
    const u = Math.random() * KEY_CUM[KEY_CUM.length - 1];
    for (let i = 0; i < KEY_CUM.length; i++) {
      if (u < KEY_CUM[i]) {
        return i;
      }
    }
    return KEY_CUM.length - 1;
  }
  return API_KEYS.length ? (exec.vu.idInTest - 1) % API_KEYS.length : 0;
}

function headers(k, correlationId) {
  const h = { 'Content-Type': 'application/json', 'X-Correlation-ID': correlationId };
  if (API_KEYS.length) {
    h['X-API-Key'] = API_KEYS[k];
  }
  return h;
}

// An event whose serialized JSON size is uniform in [size_min, size_max] bytes; it carries the
// run id and a sequence number so an audit can find every event this run sent.
function eventBody(clientId, n) {
  const r = rng(CONFIG.seed ^ (n * 2654435761));
  const size = CONFIG.size_min + Math.floor(r() * (CONFIG.size_max - CONFIG.size_min + 1));
  const body = {
    event_type: CONFIG.event_types[Math.floor(r() * CONFIG.event_types.length)],
    timestamp: new Date().toISOString(),
    payload: { load_run_id: RUN_ID, client_event_id: clientId, seq: n, data: '' },
  };
  const pad = size - JSON.stringify(body).length;
  body.payload.data = pad > 0 ? FILLER.substring(0, pad) : '';
  return JSON.stringify(body);
}

function post(url, body, params) {
  return http.post(url, body, Object.assign({ timeout: CONFIG.timeout }, params));
}

// setup(): inbox backlog, cursors of the pages the scenario reads, ids for the ack endpoint.
export function setup() {
  const keys = API_KEYS.length ? API_KEYS : [''];
  const data = { cursors: [], ack_ids: [] };
  for (let k = 0; k < keys.length; k++) {
    const wanted = PREFILL + CONFIG.ack_pool;
    for (let made = 0; made < wanted; made += CONFIG.batch) {
      const reqs = [];
      for (let i = made; i < Math.min(wanted, made + CONFIG.batch); i++) {
        const id = `${RUN_ID}-setup-${k}-${i}`;
        reqs.push({
          method: 'POST',
          url: `${BASE_URL}/v1/events`,
          body: eventBody(id, -1 - i),
          params: { headers: headers(k, id), tags: { phase: 'setup' }, responseType: 'text', timeout: CONFIG.timeout },
        });
      }
      const res = http.batch(reqs);
      for (let i = 0; i < res.length; i++) {
        if (res[i].status !== 202) {
          throw new Error(`setup: POST /v1/events answered ${res[i].status}`);
        }
        if (made + i >= PREFILL) {
          data.ack_ids.push([k, res[i].json('event_id')]);
        }
      }
    }
    const cursors = { 1: null };
    let cursor = null;
    for (let page = 2; page <= CONFIG.max_page; page++) {
      const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = http.get(`${BASE_URL}/v1/inbox?limit=${CONFIG.page_limit}${q}`, {
        headers: headers(k, `${RUN_ID}-setup-cursor-${k}-${page}`),
        tags: { phase: 'setup' },
        responseType: 'text',
        timeout: CONFIG.timeout,
      });
      if (res.status !== 200) {
        throw new Error(`setup: GET /v1/inbox answered ${res.status}`);
      }
      cursor = res.json('next_cursor');
      if (!cursor) {
        break;
      }
      cursors[page] = cursor;
    }
    data.cursors.push(cursors);
  }
  if (GOVERNOR) {
    // The local stack's capacity emulation: run time 0 and the scenario's fault timeline.
    const res = http.post(`${BASE_URL}/_governor/start`, JSON.stringify({ faults: CONFIG.faults }), {
      headers: { 'Content-Type': 'application/json' },
      tags: { phase: 'setup' },
      responseType: 'text',
      timeout: CONFIG.timeout,
    });
    if (res.status !== 200) {
      throw new Error(`setup: POST /_governor/start answered ${res.status}`);
    }
  }
  data.start_ms = Date.now();
  startMark.add(data.start_ms);
  return data;
}

// Every VU repeats the start mark once: a runner whose setup() ran elsewhere (k6-operator runs
// it on the first runner and hands its data to the others) still streams run time 0.
let marked = false;
function mark(data) {
  if (!marked) {
    marked = true;
    startMark.add(data.start_ms);
  }
}

export function post_events(data) {
  mark(data);
  const n = exec.scenario.iterationInTest;
  const id = `${RUN_ID}-p${n}`;
  post(`${BASE_URL}/v1/events`, eventBody(id, n), { headers: headers(keyIndex(), id), responseType: 'none' });
}

export function get_inbox(data) {
  mark(data);
  const n = exec.scenario.iterationInTest;
  const k = keyIndex();
  const page = CONFIG.pages[n % CONFIG.pages.length];
  const cursor = data.cursors[k] ? data.cursors[k][page] : null;
  const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
  http.get(`${BASE_URL}/v1/inbox?limit=${CONFIG.page_limit}${q}`, {
    headers: headers(k, `${RUN_ID}-i${n}`),
    tags: { page: cursor || page === 1 ? String(page) : '1' },
    responseType: 'none',
    timeout: CONFIG.timeout,
  });
}

export function ack(data) {
  mark(data);
  const n = exec.scenario.iterationInTest;
  if (!data.ack_ids.length) {
    return;
  }
  const [k, eventId] = data.ack_ids[n % data.ack_ids.length];
  post(`${BASE_URL}/v1/events/${eventId}/ack`, null, { headers: headers(k, `${RUN_ID}-a${n}`), responseType: 'none' });
}
