// Every bad input gets the right 4xx status and the OpenAI error shape, and the server keeps
// serving. Also: invalid UTF-8 over a raw socket, --max-body (413), --api-key (401) and a full
// wait queue (503 + Retry-After).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, postJSON, getJSON, expectStatus, assertErrorShape, tokenize, rawRequest, rawPost,
  openStream, sseEvents, scrape, waitFor, words,
} from './lib.mjs';

const CTX = 512;

describe('bad inputs', { timeout: 300000 }, () => {
  let srv;
  let model;
  before(async () => {
    srv = await startServer({ ctx: CTX, parallel: 1, maxBody: 65536 });
    model = srv.modelId;
  });
  after(async () => { if (srv) await srv.stop(); });

  const msgs = [{ role: 'user', content: 'hi' }];
  const chat = (extra) => ({ model, messages: msgs, max_tokens: 4, ...extra });
  const comp = (extra) => ({ model, prompt: 'hi', max_tokens: 4, ...extra });

  // [name, path, body (object or raw string), status, expected error.code (optional)]
  const cases = () => [
    ['invalid JSON', '/v1/chat/completions', '{"model": "x", "messages": [', 400],
    ['empty body', '/v1/chat/completions', '', 400],
    ['body is an array', '/v1/chat/completions', '[1,2,3]', 400],
    ['trailing garbage after JSON', '/v1/chat/completions', JSON.stringify(chat()) + ' xyz', 400],
    ['messages missing', '/v1/chat/completions', { model, max_tokens: 4 }, 400],
    ['messages not an array', '/v1/chat/completions', chat({ messages: 'hi' }), 400],
    ['messages empty', '/v1/chat/completions', chat({ messages: [] }), 400],
    ['message content wrong type', '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 42 }] }), 400],
    ['message role missing', '/v1/chat/completions', chat({ messages: [{ content: 'hi' }] }), 400],
    ['message role unknown', '/v1/chat/completions', chat({ messages: [{ role: 'wizard', content: 'hi' }] }), 400],
    ['model wrong type', '/v1/chat/completions', chat({ model: 12 }), 400],
    ['max_tokens wrong type', '/v1/chat/completions', chat({ max_tokens: '10' }), 400],
    ['max_tokens negative', '/v1/chat/completions', chat({ max_tokens: -1 }), 400],
    ['max_tokens 0', '/v1/chat/completions', chat({ max_tokens: 0 }), 400],
    ['max_tokens fractional', '/v1/chat/completions', chat({ max_tokens: 2.5 }), 400],
    ['max_tokens larger than the context', '/v1/chat/completions', chat({ max_tokens: CTX + 1 }), 400],
    ['max_completion_tokens 0', '/v1/chat/completions', { model, messages: msgs, max_completion_tokens: 0 }, 400],
    ['temperature wrong type', '/v1/chat/completions', chat({ temperature: 'hot' }), 400],
    ['temperature negative', '/v1/chat/completions', chat({ temperature: -1 }), 400],
    ['top_p above 1', '/v1/chat/completions', chat({ top_p: 1.5 }), 400],
    ['top_p negative', '/v1/chat/completions', chat({ top_p: -0.1 }), 400],
    ['min_p above 1', '/v1/chat/completions', chat({ min_p: 1.5 }), 400],
    ['top_k wrong type', '/v1/chat/completions', chat({ top_k: 'many' }), 400],
    ['presence_penalty wrong type', '/v1/chat/completions', chat({ presence_penalty: 'x' }), 400],
    ['frequency_penalty wrong type', '/v1/chat/completions', chat({ frequency_penalty: [] }), 400],
    ['seed wrong type', '/v1/chat/completions', chat({ seed: 'abc' }), 400],
    ['stream wrong type', '/v1/chat/completions', chat({ stream: 'yes' }), 400],
    ['stop wrong type', '/v1/chat/completions', chat({ stop: 5 }), 400],
    ['stop list with a non-string', '/v1/chat/completions', chat({ stop: ['a', 3] }), 400],
    ['n too large', '/v1/chat/completions', chat({ n: 9 }), 400],
    ['n 0', '/v1/chat/completions', chat({ n: 0 }), 400],
    ['top_logprobs above 20', '/v1/chat/completions', chat({ logprobs: true, top_logprobs: 21 }), 400],
    ['logit_bias key not a token id', '/v1/chat/completions', chat({ logit_bias: { abc: 1 } }), 400],
    ['logit_bias token id out of vocabulary', '/v1/chat/completions', chat({ logit_bias: { 99999999: 1 } }), 400],
    ['response_format unknown type', '/v1/chat/completions', chat({ response_format: { type: 'bogus' } }), 400],
    ['response_format json_schema without schema', '/v1/chat/completions', chat({ response_format: { type: 'json_schema' } }), 400],
    ['tools not an array', '/v1/chat/completions', chat({ tools: 'get_weather' }), 400],
    ['unknown model (chat)', '/v1/chat/completions', chat({ model: 'no-such-model' }), 404, 'model_not_found'],
    ['completions: prompt missing', '/v1/completions', { model, max_tokens: 4 }, 400],
    ['completions: prompt wrong type', '/v1/completions', comp({ prompt: 12 }), 400],
    ['completions: prompt empty list', '/v1/completions', comp({ prompt: [] }), 400],
    ['completions: token id out of vocabulary', '/v1/completions', comp({ prompt: [1, 10000000] }), 400],
    ['completions: negative token id', '/v1/completions', comp({ prompt: [-1] }), 400],
    ['completions: max_tokens 0', '/v1/completions', comp({ max_tokens: 0 }), 400],
    ['completions: max_tokens larger than the context', '/v1/completions', comp({ max_tokens: CTX * 4 }), 400],
    ['completions: n too large', '/v1/completions', comp({ n: 9 }), 400],
    ['completions: unknown model', '/v1/completions', comp({ model: 'no-such-model' }), 404, 'model_not_found'],
    ['tokenize: content wrong type', '/tokenize', { content: 5 }, 400],
    ['detokenize: negative id', '/detokenize', { tokens: [-1] }, 400],
    ['detokenize: id out of vocabulary', '/detokenize', { tokens: [1000000000] }, 400],
    ['detokenize: tokens wrong type', '/detokenize', { tokens: 'abc' }, 400],
  ];

  test('each bad request gets its 4xx and the OpenAI error shape', async () => {
    const failures = [];
    for (const [name, p, body, status, code] of cases()) {
      const r = await postJSON(srv, p, body);
      try {
        assert.equal(r.status, status, `${name}: status`);
        assertErrorShape(assert, r, name);
        if (code) assert.equal(r.json.error.code, code, `${name}: error.code`);
      } catch (e) {
        failures.push(`${name}: expected ${status}${code ? ' ' + code : ''} with the error shape, ` +
          `got ${r.status} ${r.text.slice(0, 200)} [${e.message.split('\n')[0]}]`);
      }
    }
    assert.ok(failures.length === 0, `${failures.length} of ${cases().length} cases fail:\n${failures.join('\n')}`);
  });

  test('prompt + max_tokens over the context: context_length_exceeded naming the counts', async () => {
    // A prompt of about 3/4 of the context, whatever the tokenizer.
    let nWords = 300;
    let prompt;
    let n;
    for (let i = 0; i < 8; i++) {
      prompt = words(nWords, 5);
      n = (await tokenize(srv, prompt, { add_special: true })).length;
      if (n > CTX / 2 && n < CTX - 20) break;
      nWords = Math.max(10, Math.floor(nWords * (0.75 * CTX) / n));
    }
    assert.ok(n < CTX && n > CTX / 2, `prompt is ${n} tokens`);
    const r = await postJSON(srv, '/v1/completions', { model, prompt, max_tokens: CTX - n + 10 });
    assert.equal(r.status, 400, r.text);
    assertErrorShape(assert, r, 'context length');
    assert.equal(r.json.error.code, 'context_length_exceeded');
    assert.ok(r.json.error.message.includes(String(n)), `message names the prompt token count ${n}: ${r.json.error.message}`);
    assert.ok(r.json.error.message.includes(String(CTX - n + 10)), `message names max_tokens ${CTX - n + 10}: ${r.json.error.message}`);
    // Same through chat, and a prompt alone over the context.
    const c = await postJSON(srv, '/v1/chat/completions', { model, messages: [{ role: 'user', content: prompt }], max_tokens: CTX - n + 10 });
    assert.equal(c.status, 400, c.text);
    assert.equal(c.json?.error?.code, 'context_length_exceeded');
    const big = await postJSON(srv, '/v1/completions', { model, prompt: words(1500, 6), max_tokens: 4 });
    assert.equal(big.status, 400, big.text);
    assert.equal(big.json?.error?.code, 'context_length_exceeded');
    // Streamed requests are rejected before the stream starts.
    const s = await postJSON(srv, '/v1/completions', { model, prompt, max_tokens: CTX - n + 10, stream: true });
    assert.equal(s.status, 400, s.text);
    assertErrorShape(assert, s, 'context length, stream');
  });

  test('invalid UTF-8 in JSON strings (raw socket) gets 400', async () => {
    const bad = [
      ['/v1/chat/completions', Buffer.concat([
        Buffer.from(`{"model":"${model}","max_tokens":4,"messages":[{"role":"user","content":"abc `),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(' def"}]}'),
      ])],
      ['/v1/completions', Buffer.concat([
        Buffer.from(`{"model":"${model}","max_tokens":4,"prompt":"truncated `),
        Buffer.from([0xc3]),
        Buffer.from('"}'),
      ])],
      ['/v1/completions', Buffer.concat([
        Buffer.from(`{"model":"${model}","max_tokens":4,"prompt":"surrogate `),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ])],
      ['/tokenize', Buffer.concat([Buffer.from('{"content":"x'), Buffer.from([0x80]), Buffer.from('"}')])],
    ];
    for (const [p, body] of bad) {
      const r = await rawRequest(srv, rawPost(srv, p, body));
      assert.equal(r.status, 400, `${p}: ${r.raw.slice(0, 300)}`);
      let j = null;
      try { j = JSON.parse(r.body); } catch { /* checked below */ }
      assertErrorShape(assert, { status: r.status, json: j, text: r.body }, `invalid UTF-8 on ${p}`);
    }
  });

  test('unknown route: 404 with the error shape', async () => {
    const r = await getJSON(srv, '/v1/no-such-route');
    assert.equal(r.status, 404);
    assertErrorShape(assert, r, 'unknown route');
  });

  test('body over --max-body gets 413', async () => {
    const body = JSON.stringify({ model, max_tokens: 4, messages: [{ role: 'user', content: 'x'.repeat(70000) }] });
    const r = await postJSON(srv, '/v1/chat/completions', body);
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assertErrorShape(assert, r, '413');
    // Just under the limit parses (and then fails on the context, not the size).
    const ok = await postJSON(srv, '/v1/chat/completions', JSON.stringify({ model, max_tokens: 4, messages: [{ role: 'user', content: 'x'.repeat(60000) }] }));
    assert.notEqual(ok.status, 413);
  });

  test('the server still answers after all bad inputs', async () => {
    assert.equal((await getJSON(srv, '/health')).status, 200);
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions', chat({ max_tokens: 2, ignore_eos: true })), 200);
    assert.equal(j.usage.completion_tokens, 2);
    assert.equal(srv.exitInfo, null, 'process still alive');
  });
});

describe('API key', { timeout: 300000 }, () => {
  let srv;
  const KEY = 'sk-wharf-test-123';
  before(async () => { srv = await startServer({ ctx: 1024, parallel: 1, apiKey: KEY }); });
  after(async () => { if (srv) await srv.stop(); });

  test('missing and wrong keys get 401; the right key works', async () => {
    const body = { model: srv.modelId, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };
    const none = await postJSON(srv, '/v1/chat/completions', body, { noAuth: true });
    assert.equal(none.status, 401, none.text);
    assertErrorShape(assert, none, 'no key');
    const wrong = await postJSON(srv, '/v1/chat/completions', body, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401, wrong.text);
    assertErrorShape(assert, wrong, 'wrong key');
    const models = await getJSON(srv, '/v1/models', { noAuth: true });
    assert.equal(models.status, 401, '/v1/models needs the key');
    const tok = await postJSON(srv, '/tokenize', { content: 'hi' }, { noAuth: true });
    assert.equal(tok.status, 401, '/tokenize needs the key');
    const good = await postJSON(srv, '/v1/chat/completions', body);
    assert.equal(good.status, 200, good.text);
  });

  test('/health, /ready and /metrics stay open', async () => {
    for (const p of ['/health', '/ready', '/metrics']) {
      const r = await getJSON(srv, p, { noAuth: true });
      assert.equal(r.status, 200, `${p} without a key`);
    }
  });
});

describe('wait queue full', { timeout: 300000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ ctx: 4096, parallel: 1, maxQueue: 1 }); });
  after(async () => { if (srv) await srv.stop(); });

  test('503 with Retry-After when --max-queue is reached', async () => {
    const lab = { model: srv.modelId };
    const long = { model: srv.modelId, prompt: 'Long story:', max_tokens: 3000, ignore_eos: true };
    const acs = [];
    const start = async () => {
      const ac = new AbortController();
      acs.push(ac);
      const res = await openStream(srv, '/v1/completions', long, { signal: ac.signal });
      // Drain in the background so the server is never blocked on us.
      (async () => { try { for await (const _ of sseEvents(res)) { /* drain */ } } catch { /* aborted */ } })();
      return res;
    };
    try {
      const r1 = await start();
      assert.equal(r1.status, 200);
      assert.ok(await waitFor(async () => (await scrape(srv)).get('wharf:num_requests_running', lab) === 1, { timeoutMs: 10000 }),
        'first request running');
      // The second one waits; its response headers may not come until it is scheduled.
      const ac2 = new AbortController();
      acs.push(ac2);
      const p2 = openStream(srv, '/v1/completions', long, { signal: ac2.signal }).catch(() => null);
      assert.ok(await waitFor(async () => (await scrape(srv)).get('wharf:num_requests_waiting', lab) === 1, { timeoutMs: 10000 }),
        'second request waiting');
      const results = [];
      for (let i = 0; i < 3; i++) {
        const before = await scrape(srv);
        const gauges = (m) => `running=${m.get('wharf:num_requests_running', lab)} waiting=${m.get('wharf:num_requests_waiting', lab)}`;
        try {
          results.push(await postJSON(srv, '/v1/completions', { ...long, max_tokens: 10 }, { timeoutMs: 20000 }));
        } catch (e) {
          assert.fail(`extra request #${i + 3} got no answer within 20 s (${e.name}); it should be refused at once. ` +
            `gauges before it: ${gauges(before)}, now: ${gauges(await scrape(srv))}`);
        }
      }
      for (const r of results) {
        assert.equal(r.status, 503, `queue full: ${r.status} ${r.text.slice(0, 200)}`);
        assertErrorShape(assert, r, '503');
        const ra = r.headers.get('retry-after');
        assert.ok(ra !== null && /^\d+$/.test(ra), `Retry-After header with seconds, got ${ra}`);
      }
      void p2;
    } finally {
      for (const ac of acs) ac.abort();
    }
    // Once the queue drains, requests succeed again.
    assert.ok(await waitFor(async () => {
      const m = await scrape(srv);
      return m.get('wharf:num_requests_running', lab) === 0 && m.get('wharf:num_requests_waiting', lab) === 0;
    }, { timeoutMs: 10000 }), 'queue drained after aborts');
    const ok = await postJSON(srv, '/v1/completions', { ...long, max_tokens: 2 });
    assert.equal(ok.status, 200, ok.text);
  });
});
