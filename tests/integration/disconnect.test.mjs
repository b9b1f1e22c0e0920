// A client that disconnects frees its sequence promptly: wharf:num_requests_running drops to 0
// and request_success_total{finished_reason="abort"} counts it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openStream, sseEvents, scrape, waitFor, postJSON, expectStatus, sleep } from './lib.mjs';

const BIG = 3000;

describe('client disconnect', { timeout: 300000 }, () => {
  let srv;
  let lab;
  before(async () => {
    srv = await startServer({ ctx: 4096, parallel: 2 });
    lab = { model: srv.modelId };
  });
  after(async () => { if (srv) await srv.stop(); });

  const aborts = (m) => m.sum('wharf:request_success_total', { ...lab, finished_reason: 'abort' });
  const running = (m) => m.get('wharf:num_requests_running', lab);

  async function expectFreed(before, what) {
    const t0 = Date.now();
    const m = await waitFor(async () => {
      const s = await scrape(srv);
      return running(s) === 0 && aborts(s) === before + 1 ? s : null;
    }, { timeoutMs: 2500, intervalMs: 50 });
    const s = m || await scrape(srv);
    assert.equal(running(s), 0, `${what}: num_requests_running back to 0 within ~2 s`);
    assert.equal(aborts(s), before + 1, `${what}: request_success_total{finished_reason="abort"} +1`);
    return Date.now() - t0;
  }

  test('streamed request aborted after a few chunks', async () => {
    const before = aborts(await scrape(srv));
    const ac = new AbortController();
    const res = await openStream(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'A very long story begins', max_tokens: BIG, ignore_eos: true, temperature: 0,
    }, { signal: ac.signal });
    assert.equal(res.status, 200);
    let n = 0;
    try {
      for await (const ev of sseEvents(res)) {
        if (!ev.done) n++;
        if (n >= 3) break;
      }
    } finally {
      ac.abort();
    }
    assert.equal(n, 3);
    await expectFreed(before, 'stream');
  });

  test('non-streamed request aborted mid-flight', async () => {
    const before = aborts(await scrape(srv));
    const ac = new AbortController();
    const p = postJSON(srv, '/v1/chat/completions', {
      model: srv.modelId, messages: [{ role: 'user', content: 'Tell me everything.' }],
      max_tokens: BIG, ignore_eos: true, temperature: 0,
    }, { signal: ac.signal }).then(() => 'completed', (e) => e.name);
    const ok = await waitFor(async () => running(await scrape(srv)) === 1, { timeoutMs: 10000 });
    assert.ok(ok, 'request is running');
    await sleep(300);
    ac.abort();
    assert.equal(await p, 'AbortError');
    await expectFreed(before, 'non-stream');
  });

  test('server keeps serving after disconnects', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'Hello', max_tokens: 3, ignore_eos: true,
    }), 200);
    assert.equal(j.usage.completion_tokens, 3);
  });
});
