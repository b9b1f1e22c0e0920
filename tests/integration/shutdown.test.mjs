// SIGTERM: readiness turns false, new work is refused, in-flight requests finish, exit code 0.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, openStream, sseEvents, postJSON, scrape, waitFor, assembleChat,
} from './lib.mjs';

describe('graceful shutdown', { timeout: 300000 }, () => {
  test('SIGTERM drains in-flight requests (streamed and not), refuses new work, exits 0', async () => {
    const srv = await startServer({ ctx: 4096, parallel: 2, shutdownTimeout: 60 });
    try {
      const lab = { model: srv.modelId };
      const N_STREAM = 200;
      const N_PLAIN = 150;
      // A non-streamed request and a stream, both in flight.
      const plain = postJSON(srv, '/v1/completions', {
        model: srv.modelId, prompt: 'The last ship of the night', max_tokens: N_PLAIN, ignore_eos: true, temperature: 0,
      }, { timeoutMs: 240000 });
      const res = await openStream(srv, '/v1/chat/completions', {
        model: srv.modelId, messages: [{ role: 'user', content: 'Keep talking.' }],
        max_tokens: N_STREAM, ignore_eos: true, temperature: 0, stream_options: { include_usage: true },
      }, { signal: AbortSignal.timeout(240000) });
      assert.equal(res.status, 200);
      const it = sseEvents(res);
      const events = [];
      // Wait for the first chunk of the stream, and for both requests to be running.
      const first = await it.next();
      assert.ok(!first.done);
      events.push(first.value);
      assert.ok(await waitFor(async () => (await scrape(srv)).get('wharf:num_requests_running', lab) === 2, { timeoutMs: 10000 }),
        'both requests running before SIGTERM');

      srv.proc.kill('SIGTERM');
      const tTerm = Date.now();

      // Readiness turns false (503) or the listener is gone, quickly, while work drains.
      const readyOff = await waitFor(async () => {
        try {
          const r = await fetch(srv.url + '/ready', { signal: AbortSignal.timeout(2000) });
          await r.arrayBuffer();
          return r.status !== 200 ? `HTTP ${r.status}` : null;
        } catch (e) {
          // Refused or reset connections count; a probe that hangs does not.
          return e.name === 'TimeoutError' ? null : `connection failed (${e.cause?.code || e.name})`;
        }
      }, { timeoutMs: 3000, intervalMs: 50 });
      assert.ok(readyOff, '/ready stops answering 200 within 3 s of SIGTERM');
      // New work is refused: a new request fails to connect or gets 503.
      let newWork;
      try {
        const r = await postJSON(srv, '/v1/completions', { model: srv.modelId, prompt: 'late', max_tokens: 2 }, { timeoutMs: 5000 });
        newWork = r.status;
      } catch (e) {
        newWork = `connection failed (${e.cause?.code || e.name})`;
        assert.notEqual(e.name, 'TimeoutError', 'a new request after SIGTERM is refused at once, not left hanging for 5 s');
      }
      assert.ok(newWork !== 200, `a new request after SIGTERM is refused (got ${newWork})`);

      // The in-flight stream completes normally.
      for (;;) {
        const n = await it.next();
        if (n.done) break;
        events.push(n.value);
      }
      assert.ok(events.length > 0 && events[events.length - 1].done, 'stream ends with [DONE] after SIGTERM');
      const chunks = events.filter((e) => !e.done).map((e) => e.json);
      const a = assembleChat(chunks);
      assert.equal(a[0].finish_reason, 'length');
      const usage = chunks[chunks.length - 1].usage;
      assert.equal(usage?.completion_tokens, N_STREAM, 'the stream generated all its tokens');
      // And so does the non-streamed one.
      const p = await plain;
      assert.equal(p.status, 200, p.text);
      assert.equal(p.json.usage.completion_tokens, N_PLAIN);
      assert.equal(p.json.choices[0].finish_reason, 'length');

      const e = await Promise.race([srv.exited, new Promise((r) => setTimeout(() => r('timeout'), 60000))]);
      assert.notEqual(e, 'timeout', 'process exits after draining');
      assert.equal(e.code, 0, `exit code 0 (got ${JSON.stringify(e)})${srv.diag(2000)}`);
      assert.ok(Date.now() - tTerm < 60000);
    } finally {
      srv.kill();
    }
  });

  test('SIGTERM on an idle server exits 0 promptly', async () => {
    const srv = await startServer({ ctx: 1024, parallel: 1 });
    try {
      const t0 = Date.now();
      const e = await srv.stop(15000);
      assert.equal(e.code, 0, `exit code 0 (got ${JSON.stringify(e)})${srv.diag(2000)}`);
      assert.ok(Date.now() - t0 < 10000, `exited in ${Date.now() - t0} ms`);
    } finally {
      srv.kill();
    }
  });
});
