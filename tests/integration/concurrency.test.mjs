// Continuous batching: 8 concurrent streams all make progress together; nobody waits for
// another request to finish before getting its first token.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openStream, sseEvents, scrape } from './lib.mjs';

const N = 8;
const MAX_T = 64;

describe('continuous batching', { timeout: 300000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ ctx: 4096, parallel: N }); });
  after(async () => { if (srv) await srv.stop(); });

  test(`${N} concurrent streams: every first token arrives before any stream finishes`, async () => {
    const t0 = performance.now();
    const runs = Array.from({ length: N }, (_, i) => (async () => {
      const res = await openStream(srv, '/v1/chat/completions', {
        model: srv.modelId,
        messages: [{ role: 'user', content: `Stream number ${i}: tell a story about ship ${i * 7}.` }],
        max_tokens: MAX_T,
        temperature: 0,
        ignore_eos: true,
        stream_options: { include_usage: true },
      }, { signal: AbortSignal.timeout(240000) });
      assert.equal(res.status, 200, `stream ${i}: HTTP ${res.status}`);
      let first = null;
      let finish = null;
      let usage = null;
      let done = false;
      for await (const ev of sseEvents(res)) {
        if (ev.done) { done = true; continue; }
        const c = ev.json;
        if (c.usage && c.choices?.length === 0) usage = c.usage;
        for (const ch of c.choices || []) {
          // First generated token: the first delta with content (or a finish, if everything
          // decoded to nothing).
          if (first === null && ((ch.delta?.content ?? '') !== '' || ch.finish_reason)) first = ev.t - t0;
          if (ch.finish_reason) finish = ev.t - t0;
        }
      }
      return { i, first, finish, usage, done };
    })());
    const r = await Promise.all(runs);
    for (const x of r) {
      assert.ok(x.done, `stream ${x.i} ended with [DONE]`);
      assert.ok(x.first !== null && x.finish !== null, `stream ${x.i} got tokens and a finish`);
      assert.equal(x.usage?.completion_tokens, MAX_T, `stream ${x.i} generated ${MAX_T} tokens`);
    }
    const lastFirst = Math.max(...r.map((x) => x.first));
    const firstFinish = Math.min(...r.map((x) => x.finish));
    const table = r.map((x) => `#${x.i}: first ${x.first.toFixed(0)} ms, finish ${x.finish.toFixed(0)} ms`).join('\n');
    assert.ok(lastFirst < firstFinish,
      `all first tokens (latest at ${lastFirst.toFixed(0)} ms) arrive before the first finish (${firstFinish.toFixed(0)} ms)\n${table}`);
    const m = await scrape(srv);
    assert.equal(m.get('wharf:num_requests_running', { model: srv.modelId }), 0);
  });
});
