#!/usr/bin/env node
// Load generator for side-by-side serving comparisons (wharf vs llama-server), OpenAI API.
// Node >= 18, no dependencies.
//
//   node bench/loadgen.mjs run --url URL [--model NAME] [--workload random|prefix]
//        [--concurrency C] [--requests N] [--max-tokens 128] [--prompt-words 128]
//        [--prefix-words 1000] [--seed 1] [--phase-timeout 300] [--warmup 2] [--label X]
//        -> prints one JSON object (the phase result) on stdout
//   node bench/loadgen.mjs wait --url URL --path /health [--timeout 300]
//   node bench/loadgen.mjs freeport
//   node bench/loadgen.mjs report --out compare.json NAME=results.json NAME2=results2.json
//        -> prints the side-by-side table (ratios are NAME2 / NAME) and writes the JSON
//
// Workloads:
//   random: streamed POST /v1/completions, distinct seeded prompts of ~prompt-words common
//           English words (~1 token each with BPE vocabularies), ignore_eos, fixed max_tokens.
//   prefix: streamed POST /v1/chat/completions, one shared system prompt of ~prefix-words words
//           and distinct short user messages; the warm-up primes the shared prefix.
// Every request of a run is distinct (seeded by label/workload/index), and the same across
// servers, so prompt caches only help where prefixes are genuinely shared.

import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';

function parseArgs(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const k = a.slice(2);
      const v = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
      o[k] = v;
    } else {
      o._.push(a);
    }
  }
  return o;
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function hashStr(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

// Common English words: single BPE tokens (with a leading space) in GPT-2/Qwen-style vocabularies.
const WORDS = ('the of and to in is was for that with on as it by at from his her they this be are had ' +
  'not but have one all were when there which their she can said what out up about time so them ' +
  'some would into has more two like him see could no make than first been its who now people my ' +
  'made over did down only way find use may water long little very after words called just where ' +
  'most know get through back much before go good new write our used me man too any day same right ' +
  'look think also around another came come work three word must because does part even place well ' +
  'such here take why things help put years different away again off went old number great tell men ' +
  'say small every found still between name should home big give air line set own under read last ' +
  'never us left end along while might next sound below saw something thought both few those always ' +
  'looked show large often together asked house world going want school important until form food ' +
  'keep children feet land side without boy once animals life enough took sometimes four head above ' +
  'kind began almost live page got earth need far hand high year mother light parts country father ' +
  'let night following picture being study second eyes soon times story boys since white days ever ' +
  'paper hard near sentence better best across during today others however sure means knew its try ' +
  'told young miles sun ways thing whole hear example heard several change answer room sea against ' +
  'top turned learn point city play toward five using himself usually money seen car morning given ' +
  'ship harbor river bridge crane dock cargo rope anchor tide wind north south east west quiet busy').split(' ');

function wordText(n, seed) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(' ');
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  if (sorted.length === 1) return sorted[0];
  const idx = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}
function stats(xs) {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, mean: null, p50: null, p90: null, p99: null, max: null };
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    p50: pct(s, 50),
    p90: pct(s, 90),
    p99: pct(s, 99),
    max: s[s.length - 1],
  };
}

// One streamed request over node:http with a fresh connection (no keep-alive), so that no
// server is penalised by a client reusing a socket it has just closed. Returns timings in ms.
function oneRequest(url, path, body, timeoutMs, headers) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const out = { ok: false, ttft: null, e2e: null, outTokens: 0, promptTokens: null, cachedTokens: null, status: 0, error: null, chunks: 0 };
    const u = new URL(url + path);
    const payload = Buffer.from(JSON.stringify(body));
    let finish = null;
    let usage = null;
    let sawDone = false;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      out.e2e = performance.now() - t0;
      if (usage?.completion_tokens != null) out.outTokens = usage.completion_tokens;
      else if (finish === 'length') out.outTokens = body.max_tokens;
      else out.outTokens = out.chunks;
      out.promptTokens = usage?.prompt_tokens ?? null;
      out.cachedTokens = usage?.prompt_tokens_details?.cached_tokens ?? null;
      out.finish = finish;
      out.ok = out.status === 200 && sawDone && !out.error && out.ttft !== null;
      if (!out.ok && !out.error) out.error = sawDone ? 'no tokens' : 'stream ended without [DONE]';
      resolve(out);
    };
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, Accept: 'text/event-stream', ...headers },
    }, (res) => {
      out.status = res.statusCode;
      res.setEncoding('utf8');
      let buf = '';
      if (res.statusCode !== 200) {
        res.on('data', (d) => { buf += d; });
        res.on('end', () => { out.error = `HTTP ${res.statusCode}: ${buf.slice(0, 200)}`; done(); });
        return;
      }
      res.on('data', (d) => {
        buf += d;
        for (;;) {
          const m = /\r?\n\r?\n/.exec(buf);
          if (!m) break;
          const block = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (!data) continue;
          if (data === '[DONE]') { sawDone = true; continue; }
          let j;
          try { j = JSON.parse(data); } catch { continue; }
          if (j.error) { out.error = JSON.stringify(j.error).slice(0, 200); continue; }
          if (j.usage) usage = j.usage;
          for (const ch of j.choices || []) {
            const piece = ch.text ?? ch.delta?.content ?? '';
            if (piece) {
              out.chunks++;
              if (out.ttft === null) out.ttft = performance.now() - t0;
            }
            if (ch.finish_reason) finish = ch.finish_reason;
          }
        }
      });
      res.on('end', done);
      res.on('error', (e) => { out.error = `${e.name}: ${e.message}`; done(); });
    });
    const timer = setTimeout(() => { out.error = `timeout after ${timeoutMs} ms`; req.destroy(); done(); }, timeoutMs);
    req.on('error', (e) => { out.error = `${e.code || e.name}: ${e.message}`; done(); });
    req.end(payload);
  });
}

function makeRequest(o, i, phaseSeed) {
  const maxTokens = Number(o['max-tokens'] ?? 128);
  const model = o.model || 'default';
  const common = { model, max_tokens: maxTokens, ignore_eos: true, temperature: 0, stream: true, stream_options: { include_usage: true } };
  if ((o.workload || 'random') === 'prefix') {
    const sys = wordText(Number(o['prefix-words'] ?? 1000), 4242);
    const user = `Question ${i}: ${wordText(8, phaseSeed + i * 7919)}?`;
    return { path: '/v1/chat/completions', body: { ...common, messages: [{ role: 'system', content: sys }, { role: 'user', content: user }] } };
  }
  const prompt = wordText(Number(o['prompt-words'] ?? 128), phaseSeed + i * 7919);
  return { path: '/v1/completions', body: { ...common, prompt } };
}

async function cmdRun(o) {
  const url = (o.url || '').replace(/\/$/, '');
  if (!url) throw new Error('--url required');
  const conc = Number(o.concurrency ?? 1);
  const nReq = Number(o.requests ?? Math.max(4, conc * 2));
  const timeoutMs = Number(o['request-timeout'] ?? 300) * 1000;
  const phaseDeadline = Date.now() + Number(o['phase-timeout'] ?? 300) * 1000;
  const label = o.label || `${o.workload || 'random'}-c${conc}`;
  const seed = Number(o.seed ?? 1);
  const phaseSeed = hashStr(`${label}/${seed}`);
  const headers = o['api-key'] ? { Authorization: `Bearer ${o['api-key']}` } : {};

  // Warm-up (not measured): distinct prompts; for the prefix workload it primes the shared prefix.
  // A 503 (still loading) is retried until --load-timeout seconds have passed.
  const nWarm = Number(o.warmup ?? 2);
  const loadDeadline = Date.now() + Number(o['load-timeout'] ?? 120) * 1000;
  for (let w = 0; w < nWarm; w++) {
    const r = makeRequest({ ...o, 'max-tokens': Math.min(16, Number(o['max-tokens'] ?? 128)) }, 1000000 + w, phaseSeed);
    for (;;) {
      const res = await oneRequest(url, r.path, r.body, timeoutMs, headers);
      if (res.ok) break;
      if (res.status === 503 && Date.now() < loadDeadline) { await sleep(250); continue; }
      throw new Error(`warm-up request failed: ${res.error}`);
    }
  }

  let next = 0;
  const results = [];
  const tStart = performance.now();
  let timedOut = false;
  async function worker() {
    for (;;) {
      if (Date.now() > phaseDeadline) { timedOut = true; return; }
      const i = next++;
      if (i >= nReq) return;
      const r = makeRequest(o, i, phaseSeed);
      const left = Math.max(1000, Math.min(timeoutMs, phaseDeadline - Date.now() + 30000));
      results.push(await oneRequest(url, r.path, r.body, left, headers));
    }
  }
  await Promise.all(Array.from({ length: conc }, () => worker()));
  const wall = (performance.now() - tStart) / 1000;
  const ok = results.filter((r) => r.ok);
  const outTokens = ok.reduce((a, r) => a + r.outTokens, 0);
  const tpot = ok.filter((r) => r.outTokens > 1).map((r) => (r.e2e - r.ttft) / (r.outTokens - 1));
  const summary = {
    label,
    workload: o.workload || 'random',
    concurrency: conc,
    requests: results.length,
    ok: ok.length,
    errors: results.length - ok.length,
    first_error: results.find((r) => !r.ok)?.error ?? null,
    timed_out: timedOut,
    max_tokens: Number(o['max-tokens'] ?? 128),
    wall_s: wall,
    output_tokens: outTokens,
    output_tok_s: wall > 0 ? outTokens / wall : 0,
    req_s: wall > 0 ? ok.length / wall : 0,
    prompt_tokens_mean: stats(ok.map((r) => r.promptTokens)).mean,
    cached_tokens_mean: stats(ok.map((r) => r.cachedTokens)).mean,
    ttft_ms: stats(ok.map((r) => r.ttft)),
    tpot_ms: stats(tpot),
    e2e_ms: stats(ok.map((r) => r.e2e)),
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

async function cmdWait(o) {
  const url = (o.url || '').replace(/\/$/, '') + (o.path || '/health');
  const deadline = Date.now() + Number(o.timeout ?? 300) * 1000;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      process.stderr.write(`loadgen: ${url} not 200 within ${o.timeout ?? 300} s\n`);
      process.exit(1);
    }
    await sleep(200);
  }
}

async function cmdFreeport() {
  const port = await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  process.stdout.write(`${port}\n`);
}

function fmt(x, d = 1) {
  return x == null || !Number.isFinite(x) ? '-' : x.toFixed(d);
}

// results file: one JSON object per line (phase summaries), plus optional {"meta":...} lines.
function loadResults(file) {
  const phases = {};
  let meta = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line);
    if (j.meta) meta = { ...meta, ...j.meta };
    else phases[j.label] = j;
  }
  return { meta, phases };
}

function cmdReport(o) {
  const pairs = o._.slice(1).map((a) => {
    const i = a.indexOf('=');
    return [a.slice(0, i), a.slice(i + 1)];
  });
  if (pairs.length < 1) throw new Error('report NAME=file [NAME2=file2]');
  const servers = {};
  for (const [name, file] of pairs) servers[name] = loadResults(file);
  const names = pairs.map((p) => p[0]);
  const [base, cand] = [names[0], names[1]];
  const labels = [];
  for (const n of names) for (const l of Object.keys(servers[n].phases)) if (!labels.includes(l)) labels.push(l);

  const rows = [];
  const ratios = {};
  for (const l of labels) {
    const get = (n) => servers[n].phases[l];
    const metrics = [
      ['output tok/s', (p) => p.output_tok_s, 'higher'],
      ['TTFT p50 ms', (p) => p.ttft_ms.p50, 'lower'],
      ['TTFT p99 ms', (p) => p.ttft_ms.p99, 'lower'],
      ['TPOT p50 ms', (p) => p.tpot_ms.p50, 'lower'],
    ];
    for (const [mname, f, better] of metrics) {
      if (l.startsWith('prefix') && mname === 'output tok/s') continue;
      const vals = names.map((n) => (get(n) && get(n).ok > 0 ? f(get(n)) : null));
      let ratio = null;
      if (cand && vals[0] != null && vals[1] != null && vals[0] > 0) ratio = vals[1] / vals[0];
      rows.push([l, mname, ...vals.map((v) => fmt(v)), cand ? (ratio == null ? '-' : ratio.toFixed(2) + 'x') : '', better]);
      ratios[`${l} ${mname}`] = ratio;
    }
    const errs = names.map((n) => (get(n) ? get(n).errors : null));
    if (errs.some((e) => e)) rows.push([l, 'errors', ...errs.map((e) => String(e ?? '-')), '', '']);
  }
  const header = ['phase', 'metric', ...names, cand ? `${cand}/${base}` : '', 'better'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
  process.stdout.write(out + '\n');
  if (o.out) {
    const json = { generated_at: new Date().toISOString(), baseline: base, candidate: cand ?? null, servers: {}, ratios };
    for (const n of names) json.servers[n] = servers[n];
    if (o.settings) json.settings = JSON.parse(readFileSync(o.settings, 'utf8'));
    writeFileSync(o.out, JSON.stringify(json, null, 2) + '\n');
  }
}

const o = parseArgs(process.argv.slice(2));
const cmd = o._[0];
const cmds = { run: cmdRun, wait: cmdWait, freeport: cmdFreeport, report: cmdReport };
if (!cmds[cmd]) {
  process.stderr.write('usage: loadgen.mjs run|wait|freeport|report ... (see the header of this file)\n');
  process.exit(2);
}
Promise.resolve(cmds[cmd](o)).catch((e) => {
  process.stderr.write(`loadgen: ${e.stack || e}\n`);
  process.exit(1);
});
