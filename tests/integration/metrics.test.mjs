// /metrics: Prometheus text with every wharf: metric labelled by model; histograms have
// _bucket/_sum/_count; counters move with requests.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, postJSON, streamJSON, expectStatus, scrape } from './lib.mjs';

const HISTOGRAMS = [
  'wharf:time_to_first_token_seconds',
  'wharf:inter_token_latency_seconds',
  'wharf:time_per_output_token_seconds',
  'wharf:e2e_request_latency_seconds',
  'wharf:request_queue_time_seconds',
];
const COUNTERS = [
  'wharf:prompt_tokens_total',
  'wharf:generation_tokens_total',
  'wharf:prefix_cache_queries_total',
  'wharf:prefix_cache_hits_total',
  'wharf:request_success_total',
];
const GAUGES = ['wharf:num_requests_running', 'wharf:num_requests_waiting', 'wharf:kv_cache_usage_perc'];

describe('metrics', { timeout: 300000 }, () => {
  let srv;
  let lab;
  before(async () => {
    srv = await startServer({ ctx: 2048, parallel: 2 });
    lab = { model: srv.modelId };
  });
  after(async () => { if (srv) await srv.stop(); });

  test('content type and families', async () => {
    // One request first so that every labelled series exists.
    expectStatus(await postJSON(srv, '/v1/completions', { model: srv.modelId, prompt: 'warm up', max_tokens: 3, ignore_eos: true }), 200);
    const res = await fetch(srv.url + '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^text\/plain/);
    const m = await scrape(srv);
    const typeOf = (name) => m.types[name] ?? m.types[name.replace(/_total$/, '')];
    const missing = [];
    for (const h of HISTOGRAMS) {
      if (typeOf(h) !== 'histogram') missing.push(`# TYPE ${h} histogram`);
      if (!m.has(`${h}_bucket`, lab)) missing.push(`${h}_bucket{model="${srv.modelId}"}`);
      if (!m.has(`${h}_bucket`, { ...lab, le: '+Inf' })) missing.push(`${h}_bucket{le="+Inf"}`);
      if (!m.has(`${h}_sum`, lab)) missing.push(`${h}_sum{model}`);
      if (!m.has(`${h}_count`, lab)) missing.push(`${h}_count{model}`);
    }
    for (const c of COUNTERS) {
      if (typeOf(c) !== 'counter') missing.push(`# TYPE ${c} counter`);
      if (!m.has(c, lab)) missing.push(`${c}{model="${srv.modelId}"}`);
    }
    for (const g of GAUGES) {
      if (typeOf(g) !== 'gauge') missing.push(`# TYPE ${g} gauge`);
      if (!m.has(g, lab)) missing.push(`${g}{model="${srv.modelId}"}`);
    }
    assert.deepEqual(missing, [], `missing from /metrics:\n${missing.join('\n')}\n--- /metrics:\n${m.text.slice(0, 3000)}`);
    // Histogram buckets are cumulative and +Inf equals _count.
    for (const h of HISTOGRAMS) {
      const b = m.buckets(h, lab);
      for (let i = 1; i < b.length; i++) assert.ok(b[i].value >= b[i - 1].value, `${h} buckets cumulative`);
      assert.equal(b[b.length - 1].le, Infinity);
      assert.equal(b[b.length - 1].value, m.histCount(h, lab), `${h}: +Inf bucket == _count`);
    }
    // Every wharf: sample carries the model label.
    const unlabelled = m.samples.filter((s) => s.name.startsWith('wharf:') && s.labels.model !== srv.modelId);
    assert.deepEqual(unlabelled.map((s) => s.name), [], 'every wharf: sample has model label');
  });

  test('counters and histograms move with requests', async () => {
    const m0 = await scrape(srv);
    const a = expectStatus(await postJSON(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'Counting ships in the harbor', max_tokens: 8, ignore_eos: true,
    }), 200);
    const s = await streamJSON(srv, '/v1/chat/completions', {
      model: srv.modelId, messages: [{ role: 'user', content: 'Count the cranes.' }], max_tokens: 8, ignore_eos: true,
      stream_options: { include_usage: true },
    });
    assert.equal(s.status, 200);
    const su = s.chunks[s.chunks.length - 1].usage;
    const m1 = await scrape(srv);
    const d = (name, labels = {}) => m1.sum(name, { ...lab, ...labels }) - m0.sum(name, { ...lab, ...labels });

    assert.equal(d('wharf:prompt_tokens_total'), a.usage.prompt_tokens + su.prompt_tokens, 'prompt_tokens_total += prompt tokens');
    assert.equal(d('wharf:generation_tokens_total'), 16, 'generation_tokens_total += 16');
    assert.equal(d('wharf:request_success_total', { finished_reason: 'length' }), 2, 'request_success_total{length} += 2');
    assert.ok(d('wharf:prefix_cache_queries_total') > 0, 'prefix_cache_queries_total grows');
    for (const h of ['wharf:time_to_first_token_seconds', 'wharf:e2e_request_latency_seconds',
      'wharf:request_queue_time_seconds']) {
      assert.equal(d(`${h}_count`), 2, `${h}_count += 2`);
      assert.ok(d(`${h}_sum`) > 0 || h === 'wharf:request_queue_time_seconds', `${h}_sum grows`);
    }
    assert.ok(d('wharf:time_per_output_token_seconds_count') >= 2, 'time_per_output_token observed per request');
    assert.ok(d('wharf:inter_token_latency_seconds_count') >= 7, 'inter_token_latency observed per token');
    assert.equal(m1.get('wharf:num_requests_running', lab), 0);
    assert.equal(m1.get('wharf:num_requests_waiting', lab), 0);
    const kv = m1.get('wharf:kv_cache_usage_perc', lab);
    assert.ok(kv >= 0 && kv <= 1, `kv_cache_usage_perc in [0,1]: ${kv}`);
  });

  test('a stop-string finish counts as stop', async () => {
    const m0 = await scrape(srv);
    const full = expectStatus(await postJSON(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'Stop here', max_tokens: 16, temperature: 0, ignore_eos: true,
    }), 200).choices[0].text;
    const chars = Array.from(full);
    const stop = chars.slice(Math.floor(chars.length / 2), Math.floor(chars.length / 2) + 2).join('');
    const r = expectStatus(await postJSON(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'Stop here', max_tokens: 16, temperature: 0, ignore_eos: true, stop,
    }), 200);
    assert.equal(r.choices[0].finish_reason, 'stop', `stop ${JSON.stringify(stop)} in ${JSON.stringify(full)}`);
    const m1 = await scrape(srv);
    assert.equal(m1.sum('wharf:request_success_total', { ...lab, finished_reason: 'stop' }) -
      m0.sum('wharf:request_success_total', { ...lab, finished_reason: 'stop' }), 1);
  });
});
