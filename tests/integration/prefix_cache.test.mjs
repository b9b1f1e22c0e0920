// Prefix cache: a second request sharing a long system prompt reuses the cached prefix,
// visible in wharf:prefix_cache_hits_total and usage.prompt_tokens_details.cached_tokens.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, postJSON, expectStatus, tokenize, scrape, words } from './lib.mjs';

async function longSystemPrompt(srv, minTokens = 300) {
  let n = 200;
  for (;;) {
    const text = `You are the harbor master's assistant. Background notes: ${words(n, 99)}.`;
    const toks = await tokenize(srv, text, { add_special: false });
    if (toks.length >= minTokens) return { text, n: toks.length };
    n += 40;
  }
}

const chat = (srv, system, user) => postJSON(srv, '/v1/chat/completions', {
  model: srv.modelId,
  messages: [{ role: 'system', content: system }, { role: 'user', content: user }],
  max_tokens: 4,
  temperature: 0,
  ignore_eos: true,
});

describe('prefix cache', { timeout: 300000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ ctx: 4096, parallel: 2 }); });
  after(async () => { if (srv) await srv.stop(); });

  test('second request with the same long system prompt hits the cache', async () => {
    const { text: sys, n: sharedLen } = await longSystemPrompt(srv);
    const lab = { model: srv.modelId };
    const m0 = await scrape(srv);
    const a = expectStatus(await chat(srv, sys, 'First question: when does the ferry leave?'), 200);
    const m1 = await scrape(srv);
    const b = expectStatus(await chat(srv, sys, 'Another one entirely: how heavy is the anchor?'), 200);
    const m2 = await scrape(srv);

    const q1 = m1.sum('wharf:prefix_cache_queries_total', lab) - m0.sum('wharf:prefix_cache_queries_total', lab);
    const q2 = m2.sum('wharf:prefix_cache_queries_total', lab) - m1.sum('wharf:prefix_cache_queries_total', lab);
    assert.ok(q1 > 0 && q2 > 0, `prefix_cache_queries_total grows with each request (+${q1}, +${q2})`);
    const hits = m2.sum('wharf:prefix_cache_hits_total', lab) - m1.sum('wharf:prefix_cache_hits_total', lab);
    assert.ok(hits >= 0.8 * sharedLen,
      `prefix_cache_hits_total grew by ${hits} on the second request; shared prefix is ~${sharedLen} tokens (want >= ${Math.ceil(0.8 * sharedLen)})`);
    const cached = b.usage?.prompt_tokens_details?.cached_tokens;
    assert.ok(cached > 0, `second request: usage.prompt_tokens_details.cached_tokens > 0 (got ${JSON.stringify(b.usage)})`);
    assert.ok(cached <= b.usage.prompt_tokens, 'cached_tokens <= prompt_tokens');
    assert.ok((a.usage?.prompt_tokens_details?.cached_tokens ?? 0) < 0.8 * sharedLen,
      `first request cannot have the system prompt cached yet (got ${JSON.stringify(a.usage)})`);
    // Both counters are in tokens (as in vLLM), so the hit rate hits/queries is at most 1.
    assert.ok(hits <= q2, `hits (+${hits}) <= queries (+${q2}) for the second request`);
  });
});

describe('prefix cache disabled', { timeout: 300000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ ctx: 4096, parallel: 2, noPrefixCache: true }); });
  after(async () => { if (srv) await srv.stop(); });

  test('--no-prefix-cache: no hits, cached_tokens 0', async () => {
    const { text: sys } = await longSystemPrompt(srv);
    expectStatus(await chat(srv, sys, 'First question.'), 200);
    const b = expectStatus(await chat(srv, sys, 'Second question.'), 200);
    assert.equal(b.usage?.prompt_tokens_details?.cached_tokens ?? 0, 0);
    const m = await scrape(srv);
    assert.equal(m.sum('wharf:prefix_cache_hits_total', { model: srv.modelId }), 0);
  });
});
