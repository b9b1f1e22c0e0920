// Helpers for the integration and client-conformance tests: start the real `wharf serve`
// binary on 127.0.0.1 with port 0, wait until it is ready, talk to it over fetch (JSON and
// SSE) and raw sockets, read /metrics, and stop it with SIGTERM.
//
// Environment:
//   WHARF_BIN          path of the wharf binary (default: <repo>/build/bin/wharf)
//   WHARF_MODELS_DIR   generated test models (chat.gguf, embed.gguf, rerank.gguf)
//                      (default: <repo>/build/models)
//   WHARF_SHARED_DIR   shared assets; models/stories260K.gguf lives there (default: <repo>/../shared)
//   WHARF_TEST_CHAT_MODEL  override the chat model path (development only)
//   WHARF_TEST_IMPL=llama-server with LLAMA_SERVER_BIN: run the same suites against llama.cpp's
//                      llama-server instead, to validate the tests themselves (wharf-only
//                      features such as wharf: metrics, --max-queue or --max-body will fail there).
//   WHARF_TEST_VERBOSE=1  echo server stderr while tests run.
//
// Node 18 compatible: built-in fetch, node:test, no newer APIs.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const WHARF_BIN = process.env.WHARF_BIN || path.join(REPO_ROOT, 'build', 'bin', 'wharf');
export const MODELS_DIR = process.env.WHARF_MODELS_DIR || path.join(REPO_ROOT, 'build', 'models');
export const SHARED_DIR = process.env.WHARF_SHARED_DIR || path.resolve(REPO_ROOT, '..', 'shared');
export const IMPL = process.env.WHARF_TEST_IMPL || 'wharf';
export const VERBOSE = process.env.WHARF_TEST_VERBOSE === '1';

export function chatModelPath() {
  return process.env.WHARF_TEST_CHAT_MODEL || path.join(MODELS_DIR, 'chat.gguf');
}
export function modelPath(name) {
  return path.join(MODELS_DIR, `${name}.gguf`);
}
export function storiesModelPath() {
  return path.join(SHARED_DIR, 'models', 'stories260K.gguf');
}
export function modelStem(p) {
  return path.basename(p).replace(/\.gguf$/i, '');
}

// Live servers, killed if the test process exits without stopping them.
const live = new Set();
process.on('exit', () => {
  for (const s of live) {
    try { s.proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Builds the command line for the implementation under test from typed options.
function buildArgs(o, port) {
  if (IMPL === 'llama-server') {
    const a = ['-m', o.model, '--host', '127.0.0.1', '--port', String(port), '--no-webui'];
    if (o.ctx != null) a.push('-c', String(o.ctx));
    if (o.parallel != null) a.push('-np', String(o.parallel));
    if (o.threads != null) a.push('-t', String(o.threads));
    if (o.batch != null) a.push('-b', String(o.batch));
    if (o.apiKey != null) a.push('--api-key', o.apiKey);
    if (o.modelId != null) a.push('--alias', o.modelId);
    if (o.noPrefixCache) a.push('--no-cache-prompt');
    a.push('--metrics', '--jinja');
    return a.concat(o.extraArgs || []);
  }
  const a = ['serve', '-m', o.model, '--host', '127.0.0.1', '--port', '0'];
  if (o.ctx != null) a.push('--ctx', String(o.ctx));
  if (o.parallel != null) a.push('--parallel', String(o.parallel));
  if (o.threads != null) a.push('--threads', String(o.threads));
  if (o.batch != null) a.push('--batch', String(o.batch));
  if (o.gpuLayers != null) a.push('--gpu-layers', String(o.gpuLayers));
  if (o.apiKey != null) a.push('--api-key', o.apiKey);
  if (o.modelId != null) a.push('--model-id', o.modelId);
  if (o.maxQueue != null) a.push('--max-queue', String(o.maxQueue));
  if (o.maxBody != null) a.push('--max-body', String(o.maxBody));
  if (o.shutdownTimeout != null) a.push('--shutdown-timeout', String(o.shutdownTimeout));
  if (o.noPrefixCache) a.push('--no-prefix-cache');
  if (o.config != null) a.push('--config', o.config);
  return a.concat(o.extraArgs || []);
}

/**
 * Starts a server and resolves once GET /ready answers 200 (unless waitReady is false).
 * Options: model (path, default chat model), ctx, parallel, threads (default 2), batch,
 * gpuLayers, apiKey, modelId, maxQueue, maxBody, shutdownTimeout, noPrefixCache, config,
 * extraArgs, listenTimeoutMs (30 s), readyTimeoutMs (120 s), waitReady (true).
 * Returns a Server handle: { url, port, modelId, proc, stderr(), stdout(), stop(), kill(),
 * exited (promise of {code, signal}) }.
 */
export async function startServer(opts = {}) {
  const o = { threads: 2, ...opts };
  o.model = o.model || chatModelPath();
  const listenTimeoutMs = o.listenTimeoutMs ?? 30000;
  const readyTimeoutMs = o.readyTimeoutMs ?? 120000;
  const bin = IMPL === 'llama-server'
    ? (process.env.LLAMA_SERVER_BIN || path.join(REPO_ROOT, 'build-llama-server', 'bin', 'llama-server'))
    : WHARF_BIN;
  if (!existsSync(bin)) throw new Error(`server binary not found: ${bin} (set WHARF_BIN)`);
  if (!existsSync(o.model)) throw new Error(`model not found: ${o.model}`);

  const fixedPort = IMPL === 'llama-server' ? await freePort() : 0;
  const args = buildArgs(o, fixedPort);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  let stderrBuf = '';
  let stdoutBuf = '';
  const MAX_LOG = 256 * 1024;
  const keep = (buf, chunk) => {
    buf += chunk;
    return buf.length > MAX_LOG ? buf.slice(buf.length - MAX_LOG) : buf;
  };
  proc.stderr.setEncoding('utf8');
  proc.stdout.setEncoding('utf8');
  proc.stderr.on('data', (c) => {
    stderrBuf = keep(stderrBuf, c);
    if (VERBOSE) process.stderr.write(c);
  });

  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  let exitInfo = null;
  exited.then((e) => { exitInfo = e; });

  const srv = {
    proc,
    args,
    bin,
    port: 0,
    url: '',
    modelId: o.modelId ?? modelStem(o.model),
    apiKey: o.apiKey,
    exited,
    stderr: () => stderrBuf,
    stdout: () => stdoutBuf,
    get exitInfo() { return exitInfo; },
    // SIGTERM, then wait for the exit (SIGKILL after timeoutMs). Resolves {code, signal}.
    async stop(timeoutMs = 30000) {
      if (exitInfo) { live.delete(srv); return exitInfo; }
      proc.kill('SIGTERM');
      const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, timeoutMs);
      const e = await exited;
      clearTimeout(t);
      live.delete(srv);
      return e;
    },
    kill() {
      try { proc.kill('SIGKILL'); } catch { /* gone */ }
      live.delete(srv);
    },
    diag(n = 4000) {
      return `\n--- server ${bin} ${args.join(' ')}\n--- stderr tail:\n${stderrBuf.slice(-n)}`;
    },
  };
  live.add(srv);

  const fail = (msg) => {
    srv.kill();
    return new Error(`${msg}${srv.diag()}`);
  };

  // Wait for the "listening on" line (wharf) or use the chosen port (llama-server).
  if (IMPL === 'llama-server') {
    srv.port = fixedPort;
    srv.url = `http://127.0.0.1:${fixedPort}`;
    proc.stdout.on('data', (c) => { stdoutBuf = keep(stdoutBuf, c); });
  } else {
    const url = await new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(() => reject(fail(`no "listening on" line within ${listenTimeoutMs} ms`)), listenTimeoutMs);
      const onData = (c) => {
        stdoutBuf = keep(stdoutBuf, c);
        pending += c;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).replace(/\r$/, '');
          pending = pending.slice(nl + 1);
          const m = /^wharf: listening on (http:\/\/[^\s]+)$/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(m[1].replace(/\/$/, ''));
          }
        }
      };
      proc.stdout.on('data', onData);
      exited.then((e) => {
        clearTimeout(timer);
        reject(fail(`server exited before listening (code ${e.code}, signal ${e.signal})`));
      });
    });
    srv.url = url;
    srv.port = Number(new URL(url).port);
  }

  if (o.waitReady !== false) {
    const readyPath = IMPL === 'llama-server' ? '/health' : '/ready';
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exitInfo) throw fail(`server exited while loading (code ${exitInfo.code}, signal ${exitInfo.signal})`);
      try {
        const r = await fetch(srv.url + readyPath, { signal: AbortSignal.timeout(5000) });
        await r.arrayBuffer();
        if (r.status === 200) break;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) throw fail(`not ready within ${readyTimeoutMs} ms`);
      await sleep(100);
    }
  }
  return srv;
}

// ---------------------------------------------------------------- HTTP helpers

function authHeaders(srv, headers) {
  const h = { ...(headers || {}) };
  if (srv.apiKey && !('authorization' in lowerKeys(h))) h.Authorization = `Bearer ${srv.apiKey}`;
  return h;
}
function lowerKeys(h) {
  const o = {};
  for (const k of Object.keys(h)) o[k.toLowerCase()] = h[k];
  return o;
}

/**
 * POST a JSON body (object, or a raw string sent as is). Resolves
 * { status, headers, text, json (or null if not JSON) }. Uses the server's API key unless
 * an Authorization header is given (pass noAuth: true to send none).
 */
export async function postJSON(srv, p, body, { headers, signal, noAuth, timeoutMs = 120000 } = {}) {
  const h = noAuth ? { ...(headers || {}) } : authHeaders(srv, headers);
  h['Content-Type'] = h['Content-Type'] || 'application/json';
  const res = await fetch(srv.url + p, {
    method: 'POST',
    headers: h,
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    signal: signal || AbortSignal.timeout(timeoutMs),
  });
  return readResponse(res);
}

export async function getJSON(srv, p, { headers, signal, noAuth, timeoutMs = 30000 } = {}) {
  const h = noAuth ? { ...(headers || {}) } : authHeaders(srv, headers);
  const res = await fetch(srv.url + p, { headers: h, signal: signal || AbortSignal.timeout(timeoutMs) });
  return readResponse(res);
}

async function readResponse(res) {
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

/** Throws a descriptive error unless status === expected. Returns the JSON body. */
export function expectStatus(r, expected, what = '') {
  if (r.status !== expected) {
    throw new Error(`${what ? what + ': ' : ''}expected HTTP ${expected}, got ${r.status}: ${r.text.slice(0, 600)}`);
  }
  return r.json;
}

export async function tokenize(srv, content, extra = {}) {
  const r = await postJSON(srv, '/tokenize', { content, ...extra });
  return expectStatus(r, 200, 'tokenize').tokens;
}

// ---------------------------------------------------------------- SSE

/**
 * Async generator over the SSE events of a fetch Response. Yields
 * { data, json, done, t } per event: data is the joined data: lines, done is true for
 * "[DONE]", json the parsed payload otherwise (null if not JSON), t = performance.now().
 */
export async function* sseEvents(res) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const parse = (block) => {
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return null;
    const d = data.join('\n');
    let json = null;
    if (d !== '[DONE]') { try { json = JSON.parse(d); } catch { /* leave null */ } }
    return { data: d, json, done: d === '[DONE]', t: performance.now() };
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      for (;;) {
        const m = /\r?\n\r?\n/.exec(buf);
        if (!m) break;
        const block = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        const ev = parse(block);
        if (ev) yield ev;
      }
    }
    buf += dec.decode();
    if (buf.trim()) {
      const ev = parse(buf);
      if (ev) yield ev;
    }
  } finally {
    try { reader.releaseLock(); } catch { /* ignore */ }
  }
}

/** Starts a streamed POST; resolves the fetch Response (check .status before reading). */
export async function openStream(srv, p, body, { headers, signal, noAuth } = {}) {
  const h = noAuth ? { ...(headers || {}) } : authHeaders(srv, headers);
  h['Content-Type'] = 'application/json';
  h.Accept = 'text/event-stream';
  return fetch(srv.url + p, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
}

/**
 * Streamed POST read to the end. Resolves { status, headers, events (all, incl. [DONE]),
 * chunks (parsed JSON payloads), doneLast (the last event was [DONE]), text (non-SSE body
 * if the status was not 200) }.
 */
export async function streamJSON(srv, p, body, opts = {}) {
  const res = await openStream(srv, p, body, { ...opts, signal: opts.signal || AbortSignal.timeout(opts.timeoutMs || 180000) });
  if (res.status !== 200) {
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, events: [], chunks: [], doneLast: false, text, json };
  }
  const events = [];
  for await (const ev of sseEvents(res)) events.push(ev);
  return {
    status: res.status,
    headers: res.headers,
    events,
    chunks: events.filter((e) => !e.done).map((e) => e.json),
    doneLast: events.length > 0 && events[events.length - 1].done,
    text: '',
    json: null,
  };
}

/** Assembles chat deltas per choice index: { [index]: {role, content, finish_reason, tool_calls} } */
export function assembleChat(chunks) {
  const out = {};
  for (const c of chunks) {
    if (!c || !Array.isArray(c.choices)) continue;
    for (const ch of c.choices) {
      const o = (out[ch.index] ||= { role: undefined, content: '', finish_reason: null, tool_calls: [], deltas: 0 });
      o.deltas++;
      const d = ch.delta || {};
      if (d.role) o.role = o.role || d.role;
      if (typeof d.content === 'string') o.content += d.content;
      if (Array.isArray(d.tool_calls)) {
        for (const tc of d.tool_calls) {
          const i = tc.index ?? 0;
          const t = (o.tool_calls[i] ||= { id: '', type: 'function', function: { name: '', arguments: '' } });
          if (tc.id) t.id = tc.id;
          if (tc.type) t.type = tc.type;
          if (tc.function?.name) t.function.name += tc.function.name;
          if (tc.function?.arguments) t.function.arguments += tc.function.arguments;
        }
      }
      if (ch.finish_reason) o.finish_reason = ch.finish_reason;
    }
  }
  return out;
}

/** Assembles text-completion chunks per choice index: { [index]: {text, finish_reason} } */
export function assembleText(chunks) {
  const out = {};
  for (const c of chunks) {
    if (!c || !Array.isArray(c.choices)) continue;
    for (const ch of c.choices) {
      const o = (out[ch.index] ||= { text: '', finish_reason: null });
      if (typeof ch.text === 'string') o.text += ch.text;
      if (ch.finish_reason) o.finish_reason = ch.finish_reason;
    }
  }
  return out;
}

// ---------------------------------------------------------------- raw sockets

/**
 * Sends raw bytes (a Buffer or string) to the server and reads the whole reply (the request
 * should carry "Connection: close"). Resolves { status, headers, body, raw } where headers
 * has lower-case names; status is 0 if the server closed without answering.
 */
export function rawRequest(srv, bytes, { timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(srv.port, '127.0.0.1');
    const parts = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('raw request timed out')); }, timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => parts.push(d));
    sock.on('error', (e) => {
      // A reset after the reply was written still counts as a reply.
      if (parts.length === 0) { clearTimeout(timer); reject(e); }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(parts).toString('latin1');
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0) { resolve({ status: 0, headers: {}, body: '', raw }); return; }
      const lines = raw.slice(0, headEnd).split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let body = Buffer.from(raw.slice(headEnd + 4), 'latin1');
      if ((headers['transfer-encoding'] || '').toLowerCase() === 'chunked') body = dechunk(body);
      resolve({ status: m ? Number(m[1]) : 0, headers, body: body.toString('utf8'), raw });
    });
  });
}

function dechunk(buf) {
  const out = [];
  let i = 0;
  while (i < buf.length) {
    const nl = buf.indexOf('\r\n', i);
    if (nl < 0) break;
    const size = parseInt(buf.slice(i, nl).toString('latin1'), 16);
    if (!size) break;
    out.push(buf.slice(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Builds an HTTP/1.1 POST with a Buffer body (for bytes fetch cannot send, like bad UTF-8). */
export function rawPost(srv, p, bodyBuf, extraHeaders = {}) {
  const body = Buffer.isBuffer(bodyBuf) ? bodyBuf : Buffer.from(bodyBuf, 'utf8');
  let head = `POST ${p} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n`;
  if (srv.apiKey) head += `Authorization: Bearer ${srv.apiKey}\r\n`;
  for (const [k, v] of Object.entries(extraHeaders)) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]);
}

// ---------------------------------------------------------------- Prometheus

function parseLabels(s) {
  const labels = {};
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    const name = s.slice(i, eq).trim();
    i = eq + 1;
    if (s[i] !== '"') break;
    i++;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        const n = s[i + 1];
        v += n === 'n' ? '\n' : n;
        i += 2;
      } else {
        v += s[i++];
      }
    }
    i++; // closing quote
    labels[name] = v;
  }
  return labels;
}

function parseValue(v) {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  return Number(v);
}

/** Parsed Prometheus text exposition. */
export class Metrics {
  constructor(text) {
    this.text = text;
    this.samples = []; // {name, labels, value}
    this.types = {}; // family name -> type
    this.help = {};
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      if (line.startsWith('#')) {
        const m = /^#\s+(TYPE|HELP)\s+(\S+)\s*(.*)$/.exec(line);
        if (m && m[1] === 'TYPE') this.types[m[2]] = m[3].trim();
        if (m && m[1] === 'HELP') this.help[m[2]] = m[3];
        continue;
      }
      let name;
      let labels = {};
      let rest;
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      if (brace >= 0 && (space < 0 || brace < space)) {
        name = line.slice(0, brace);
        // find the closing brace outside quotes
        let i = brace + 1;
        let inQ = false;
        for (; i < line.length; i++) {
          const c = line[i];
          if (inQ) {
            if (c === '\\') i++;
            else if (c === '"') inQ = false;
          } else if (c === '"') inQ = true;
          else if (c === '}') break;
        }
        labels = parseLabels(line.slice(brace + 1, i));
        rest = line.slice(i + 1).trim();
      } else {
        name = line.slice(0, space);
        rest = line.slice(space + 1).trim();
      }
      const value = parseValue(rest.split(/\s+/)[0]);
      this.samples.push({ name, labels, value });
    }
  }

  /** Samples of `name` whose labels include every given label. */
  find(name, labels = {}) {
    return this.samples.filter((s) => s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)));
  }
  has(name, labels = {}) { return this.find(name, labels).length > 0; }
  /** Value of the first matching sample, or undefined. */
  get(name, labels = {}) {
    const f = this.find(name, labels);
    return f.length ? f[0].value : undefined;
  }
  /** Sum over all matching samples (0 when none). */
  sum(name, labels = {}) {
    return this.find(name, labels).reduce((a, s) => a + s.value, 0);
  }
  /** A histogram's observation count (sum of `<name>_count` samples matching labels). */
  histCount(name, labels = {}) { return this.sum(`${name}_count`, labels); }
  histSum(name, labels = {}) { return this.sum(`${name}_sum`, labels); }
  /** Buckets of a histogram for the given labels: [{le, value}] sorted by le. */
  buckets(name, labels = {}) {
    return this.find(`${name}_bucket`, labels)
      .map((s) => ({ le: parseValue(s.labels.le), value: s.value }))
      .sort((a, b) => a.le - b.le);
  }
}

export async function scrape(srv) {
  const res = await fetch(srv.url + '/metrics', { signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return new Metrics(text);
}

/** Polls fn() every intervalMs until it returns truthy or timeoutMs passes; returns last value. */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let v;
  for (;;) {
    v = await fn();
    if (v) return v;
    if (Date.now() > deadline) return v;
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------- misc

/** The OpenAI error shape: {"error":{"message": string, "type": string, ...}}. */
export function assertErrorShape(assert, r, what = '') {
  const ctx = `${what} (HTTP ${r.status}, body ${r.text?.slice(0, 300)})`;
  assert.ok(r.json && typeof r.json === 'object', `error body is JSON ${ctx}`);
  assert.ok(r.json.error && typeof r.json.error === 'object', `has .error object ${ctx}`);
  assert.equal(typeof r.json.error.message, 'string', `error.message is a string ${ctx}`);
  assert.ok(r.json.error.message.length > 0, `error.message is not empty ${ctx}`);
  assert.equal(typeof r.json.error.type, 'string', `error.type is a string ${ctx}`);
  assert.ok('param' in r.json.error, `error.param present ${ctx}`);
  assert.ok('code' in r.json.error, `error.code present ${ctx}`);
}

/** Deterministic pseudo-random generator (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the a harbor ship crane dock cargo river bridge lantern morning evening sailor rope ' +
  'anchor tide wind north south east west quiet busy market bread fish salt stone wooden iron ' +
  'green blue red small large old new river harbor light dark window door street garden bird ' +
  'cloud rain sun moon star winter summer autumn spring road hill valley forest lake').split(' ');

/** Deterministic English-like text of about `nWords` words. */
export function words(nWords, seed = 1) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < nWords; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(' ');
}

export { sleep };
