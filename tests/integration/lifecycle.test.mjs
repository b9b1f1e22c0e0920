// Process lifecycle: the "listening on" line, /health and /ready while loading, the served
// model id, and a bad model path.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, getJSON, postJSON, expectStatus, WHARF_BIN, chatModelPath, sleep } from './lib.mjs';

describe('lifecycle', { timeout: 300000 }, () => {
  test('/health and /ready answer while the model loads, and the server survives them', async () => {
    const srv = await startServer({ ctx: 2048, parallel: 2, waitReady: false });
    try {
      const seen = [];
      const deadline = Date.now() + 60000;
      for (;;) {
        assert.equal(srv.exitInfo, null, `server died while /ready was polled (statuses so far ${seen.join(',')})${srv.diag()}`);
        let st;
        try {
          const r = await getJSON(srv, '/ready', { timeoutMs: 5000 });
          st = r.status;
          if (st !== 200) {
            assert.equal(st, 503, `/ready while loading: ${r.text}`);
            assert.ok(r.json?.error, `503 carries the error shape: ${r.text}`);
          }
        } catch (e) {
          if (e.code === 'ERR_ASSERTION') throw e;
          st = `error(${e.cause?.code || e.name})`;
        }
        seen.push(st);
        if (st !== 200) {
          // Work sent while loading is refused with 503 + Retry-After (or served, if loading just ended).
          const c = await postJSON(srv, '/v1/completions', { model: srv.modelId, prompt: 'early', max_tokens: 1 }, { timeoutMs: 30000 })
            .catch((e) => ({ status: `error(${e.cause?.code || e.name})`, text: '' }));
          assert.equal(srv.exitInfo, null, `server died on a completion request while loading${srv.diag()}`);
          assert.ok(c.status === 503 || c.status === 200, `completion while loading: ${c.status} ${c.text}`);
          if (c.status === 503) {
            assert.ok(c.headers.get('retry-after') !== null, '503 while loading carries Retry-After');
            assert.ok(c.json?.error, `503 carries the error shape: ${c.text}`);
          }
        }
        const h = await getJSON(srv, '/health', { timeoutMs: 5000 }).catch((e) => ({ status: `error(${e.cause?.code || e.name})` }));
        assert.equal(h.status, 200, `/health is 200 while alive (loading or not)${srv.diag()}`);
        if (st === 200) break;
        assert.ok(Date.now() < deadline, 'ready within 60 s');
        await sleep(5);
      }
      await sleep(300);
      assert.equal(srv.exitInfo, null, `server alive after readiness polling${srv.diag()}`);
      assert.equal((await getJSON(srv, '/ready')).status, 200);
      const lines = srv.stdout().split('\n').filter((l) => l.startsWith('wharf: listening on '));
      assert.equal(lines.length, 1, `exactly one "listening on" line on stdout: ${JSON.stringify(srv.stdout())}`);
      const e = await srv.stop();
      assert.equal(e.code, 0);
    } finally {
      srv.kill();
    }
  });

  test('model id defaults to the file stem; --model-id overrides it', async () => {
    const srv = await startServer({ ctx: 1024, parallel: 1, modelId: 'harbor-7b' });
    try {
      const j = expectStatus(await getJSON(srv, '/v1/models'), 200);
      assert.deepEqual(j.data.map((d) => d.id), ['harbor-7b']);
      const ok = await postJSON(srv, '/v1/completions', { model: 'harbor-7b', prompt: 'hi', max_tokens: 1 });
      assert.equal(ok.status, 200, ok.text);
      const stem = await postJSON(srv, '/v1/completions', { model: 'chat', prompt: 'hi', max_tokens: 1 });
      assert.equal(stem.status, 404, `the file stem is not served when --model-id is set: ${stem.text}`);
      assert.equal(stem.json?.error?.code, 'model_not_found');
    } finally {
      await srv.stop();
    }
    assert.ok(chatModelPath().endsWith('chat.gguf'));
  });

  test('a missing model file: non-zero exit, no listening line left hanging', async () => {
    const proc = spawn(WHARF_BIN, ['serve', '-m', '/nonexistent/nothing.gguf', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    const code = await Promise.race([
      new Promise((r) => proc.on('exit', (c, s) => r(c ?? s))),
      sleep(30000).then(() => 'timeout'),
    ]);
    if (code === 'timeout') proc.kill('SIGKILL');
    assert.notEqual(code, 'timeout', 'exits within 30 s');
    assert.notEqual(code, 0, `non-zero exit code; stderr: ${err.slice(-500)}`);
    assert.ok(err.length > 0, 'says why on stderr');
  });
});
