// OpenAI chat and text completions against the real binary and the random-weight chat model:
// response shapes, streaming vs non-streaming equality, usage, prompts as strings / lists /
// token ids, n, determinism, stop strings, logprobs, structured output and tool calls.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, postJSON, getJSON, streamJSON, assembleChat, assembleText, tokenize, expectStatus,
} from './lib.mjs';

const MAX_T = 16;

describe('chat and completions', { timeout: 600000 }, () => {
  let srv;
  let model;
  before(async () => {
    srv = await startServer({ ctx: 4096, parallel: 4 });
    model = srv.modelId;
  });
  after(async () => { if (srv) await srv.stop(); });

  const chatBody = (extra = {}) => ({
    model,
    messages: [{ role: 'user', content: 'Hello! Please describe the harbor at dawn.' }],
    max_tokens: MAX_T,
    temperature: 0,
    seed: 42,
    ignore_eos: true,
    ...extra,
  });

  test('health, ready and /v1/models', async () => {
    assert.equal((await getJSON(srv, '/health')).status, 200);
    assert.equal((await getJSON(srv, '/ready')).status, 200);
    const r = await getJSON(srv, '/v1/models');
    const j = expectStatus(r, 200, '/v1/models');
    assert.equal(j.object, 'list');
    assert.ok(Array.isArray(j.data) && j.data.length >= 1, 'data is a non-empty list');
    const m = j.data.find((d) => d.id === model);
    assert.ok(m, `model ${model} listed in ${r.text}`);
    assert.equal(m.object, 'model');
  });

  test('tokenize / detokenize round trip', async () => {
    const text = 'The harbor at dawn: cranes, ships and gulls.';
    const toks = await tokenize(srv, text, { add_special: false });
    assert.ok(Array.isArray(toks) && toks.length > 3, 'tokens non-empty');
    assert.ok(toks.every((t) => Number.isInteger(t) && t >= 0), 'integer ids');
    const r = await postJSON(srv, '/detokenize', { tokens: toks });
    assert.equal(expectStatus(r, 200, 'detokenize').content, text);
    const withPieces = await tokenize(srv, text, { add_special: false, with_pieces: true });
    assert.equal(withPieces.length, toks.length, 'with_pieces: one entry per token');
  });

  test('chat non-streamed: shape and usage', async () => {
    const r = await postJSON(srv, '/v1/chat/completions', chatBody());
    const j = expectStatus(r, 200, 'chat');
    assert.equal(j.object, 'chat.completion');
    assert.equal(typeof j.id, 'string');
    assert.ok(j.id.length > 0);
    assert.equal(typeof j.created, 'number');
    assert.equal(j.model, model);
    assert.equal(j.choices.length, 1);
    const c = j.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
    assert.equal(c.finish_reason, 'length');
    assert.equal(j.usage.completion_tokens, MAX_T, 'completion_tokens == max_tokens with ignore_eos');
    assert.ok(j.usage.prompt_tokens > 0, 'prompt_tokens > 0');
    const userToks = await tokenize(srv, 'Hello! Please describe the harbor at dawn.', { add_special: false });
    assert.ok(j.usage.prompt_tokens > userToks.length,
      `templated prompt (${j.usage.prompt_tokens}) longer than the bare user text (${userToks.length})`);
    assert.equal(j.usage.total_tokens, j.usage.prompt_tokens + j.usage.completion_tokens);
    assert.equal(typeof j.usage.prompt_tokens_details?.cached_tokens, 'number',
      'usage.prompt_tokens_details.cached_tokens is a number');
  });

  test('max_completion_tokens is honoured like max_tokens', async () => {
    const b = chatBody({ max_completion_tokens: 5 });
    delete b.max_tokens;
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions', b), 200);
    assert.equal(j.usage.completion_tokens, 5);
    assert.equal(j.choices[0].finish_reason, 'length');
  });

  test('chat streamed == non-streamed (temperature 0, same seed)', async () => {
    const plain = expectStatus(await postJSON(srv, '/v1/chat/completions', chatBody()), 200);
    const s = await streamJSON(srv, '/v1/chat/completions', chatBody());
    assert.equal(s.status, 200, s.text);
    assert.ok(s.doneLast, 'stream ends with data: [DONE]');
    assert.equal(s.events.filter((e) => e.done).length, 1, 'exactly one [DONE]');
    assert.ok(s.chunks.length >= 2, 'several chunks');
    assert.ok(s.chunks.every((c) => c && c.object === 'chat.completion.chunk'), 'all chunks are chat.completion.chunk');
    const ids = new Set(s.chunks.map((c) => c.id));
    assert.equal(ids.size, 1, 'one id across chunks');
    assert.ok(s.chunks.every((c) => c.model === model), 'model on every chunk');
    assert.equal(s.chunks[0].choices[0].delta.role, 'assistant', 'first delta carries role assistant');
    const last = s.chunks[s.chunks.length - 1];
    assert.equal(last.choices[0].finish_reason, 'length', 'last chunk carries finish_reason');
    const finishes = s.chunks.filter((c) => c.choices?.[0]?.finish_reason);
    assert.equal(finishes.length, 1, 'finish_reason appears once');
    const a = assembleChat(s.chunks);
    assert.equal(a[0].content, plain.choices[0].message.content, 'streamed content == non-streamed content');
  });

  test('stream_options.include_usage: final chunk with choices [] and usage', async () => {
    const s = await streamJSON(srv, '/v1/chat/completions', chatBody({ stream_options: { include_usage: true } }));
    assert.equal(s.status, 200, s.text);
    assert.ok(s.doneLast);
    const last = s.chunks[s.chunks.length - 1];
    assert.deepEqual(last.choices, [], 'usage chunk has choices: []');
    assert.equal(last.usage.completion_tokens, MAX_T);
    assert.ok(last.usage.prompt_tokens > 0);
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + MAX_T);
    for (const c of s.chunks.slice(0, -1)) {
      assert.ok(c.usage == null, `only the last chunk carries usage, got ${JSON.stringify(c)}`);
    }
    // Without include_usage, no usage chunk.
    const s2 = await streamJSON(srv, '/v1/chat/completions', chatBody());
    assert.ok(s2.chunks.every((c) => c.choices.length > 0), 'no choices:[] chunk without include_usage');
  });

  test('completions: string prompt, usage equals /tokenize', async () => {
    const prompt = 'The old harbor master said';
    const j = expectStatus(await postJSON(srv, '/v1/completions', {
      model, prompt, max_tokens: 7, temperature: 0, ignore_eos: true,
    }), 200);
    assert.equal(j.object, 'text_completion');
    assert.equal(j.model, model);
    assert.equal(j.choices.length, 1);
    assert.equal(j.choices[0].index, 0);
    assert.equal(typeof j.choices[0].text, 'string');
    assert.equal(j.choices[0].finish_reason, 'length');
    assert.equal(j.usage.completion_tokens, 7);
    const toks = await tokenize(srv, prompt, { add_special: true });
    assert.equal(j.usage.prompt_tokens, toks.length, 'prompt_tokens == /tokenize length');
  });

  test('completions: token-id prompt gives the same text as the string prompt', async () => {
    const prompt = 'Ships came in with the tide and';
    const toks = await tokenize(srv, prompt, { add_special: true });
    const a = expectStatus(await postJSON(srv, '/v1/completions', {
      model, prompt, max_tokens: 8, temperature: 0, ignore_eos: true,
    }), 200);
    const b = expectStatus(await postJSON(srv, '/v1/completions', {
      model, prompt: toks, max_tokens: 8, temperature: 0, ignore_eos: true,
    }), 200);
    assert.equal(b.usage.prompt_tokens, toks.length);
    assert.equal(b.choices[0].text, a.choices[0].text);
  });

  test('completions: list of strings and list of token lists give one choice each', async () => {
    const prompts = ['Cranes lifted the crates', 'At night the lighthouse'];
    const j = expectStatus(await postJSON(srv, '/v1/completions', {
      model, prompt: prompts, max_tokens: 4, temperature: 0, ignore_eos: true,
    }), 200);
    assert.equal(j.choices.length, 2);
    assert.deepEqual(j.choices.map((c) => c.index).sort(), [0, 1]);
    assert.equal(j.usage.completion_tokens, 8, 'completion tokens summed over prompts');
    const t0 = await tokenize(srv, prompts[0], { add_special: true });
    const t1 = await tokenize(srv, prompts[1], { add_special: true });
    assert.equal(j.usage.prompt_tokens, t0.length + t1.length, 'prompt tokens summed over prompts');
    const k = expectStatus(await postJSON(srv, '/v1/completions', {
      model, prompt: [t0, t1], max_tokens: 4, temperature: 0, ignore_eos: true,
    }), 200);
    assert.equal(k.choices.length, 2);
    assert.deepEqual(k.choices.map((c) => c.index).sort(), [0, 1]);
  });

  test('completions streamed == non-streamed', async () => {
    const body = { model, prompt: 'Down by the docks', max_tokens: 12, temperature: 0, ignore_eos: true };
    const plain = expectStatus(await postJSON(srv, '/v1/completions', body), 200);
    const s = await streamJSON(srv, '/v1/completions', { ...body, stream_options: { include_usage: true } });
    assert.equal(s.status, 200, s.text);
    assert.ok(s.doneLast);
    assert.ok(s.chunks.slice(0, -1).every((c) => c.object === 'text_completion'));
    const a = assembleText(s.chunks);
    assert.equal(a[0].text, plain.choices[0].text);
    assert.equal(a[0].finish_reason, 'length');
    const last = s.chunks[s.chunks.length - 1];
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.completion_tokens, 12);
  });

  test('n=2 gives two choices with indices 0 and 1', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions',
      chatBody({ n: 2, temperature: 0.9, seed: 7, max_tokens: 6 })), 200);
    assert.equal(j.choices.length, 2);
    assert.deepEqual(j.choices.map((c) => c.index).sort(), [0, 1]);
    for (const c of j.choices) {
      assert.equal(c.message.role, 'assistant');
      assert.equal(typeof c.message.content, 'string');
      assert.equal(c.finish_reason, 'length');
    }
    assert.equal(j.usage.completion_tokens, 12, 'completion tokens counted over both choices');
    const s = await streamJSON(srv, '/v1/chat/completions', chatBody({ n: 2, temperature: 0.9, seed: 7, max_tokens: 6 }));
    assert.equal(s.status, 200, s.text);
    assert.ok(s.doneLast);
    const a = assembleChat(s.chunks);
    assert.deepEqual(Object.keys(a).sort(), ['0', '1']);
    assert.equal(a[0].finish_reason, 'length');
    assert.equal(a[1].finish_reason, 'length');
  });

  test('greedy determinism: the same request twice gives the same text', async () => {
    const body = chatBody({ max_tokens: 24, seed: undefined });
    const a = expectStatus(await postJSON(srv, '/v1/chat/completions', body), 200);
    const b = expectStatus(await postJSON(srv, '/v1/chat/completions', body), 200);
    assert.equal(b.choices[0].message.content, a.choices[0].message.content);
    const cb = { model, prompt: 'Gulls circled above the', max_tokens: 24, temperature: 0, ignore_eos: true };
    const c = expectStatus(await postJSON(srv, '/v1/completions', cb), 200);
    const d = expectStatus(await postJSON(srv, '/v1/completions', cb), 200);
    assert.equal(d.choices[0].text, c.choices[0].text);
  });

  test('seeded sampling is reproducible', async () => {
    const body = { model, prompt: 'A sailor told me', max_tokens: 16, temperature: 1.0, seed: 1234, ignore_eos: true };
    const a = expectStatus(await postJSON(srv, '/v1/completions', body), 200);
    const b = expectStatus(await postJSON(srv, '/v1/completions', body), 200);
    assert.equal(b.choices[0].text, a.choices[0].text);
  });

  // Picks a short substring from the middle of `text` (whole characters, no U+FFFD, not blank).
  function pickStop(text) {
    const chars = Array.from(text);
    const from = Math.floor(chars.length / 3);
    const to = Math.floor((2 * chars.length) / 3);
    for (let i = from; i <= to; i++) {
      const s = chars.slice(i, i + 3).join('');
      if (Array.from(s).length === 3 && !s.includes('\uFFFD') && s.trim().length === 3) return s;
    }
    for (let i = 1; i < chars.length - 2; i++) {
      const s = chars.slice(i, i + 2).join('');
      if (!s.includes('\uFFFD') && s.trim().length > 0) return s;
    }
    return null;
  }

  test('stop strings are never emitted (completions, non-streamed and streamed)', async () => {
    const base = { model, prompt: 'The ropes on the pier were', max_tokens: 32, temperature: 0, ignore_eos: true };
    const full = expectStatus(await postJSON(srv, '/v1/completions', base), 200).choices[0].text;
    const stop = pickStop(full);
    assert.ok(stop, `could not pick a stop string from ${JSON.stringify(full)}`);
    const expected = full.slice(0, full.indexOf(stop));
    const j = expectStatus(await postJSON(srv, '/v1/completions', { ...base, stop: [stop] }), 200);
    assert.equal(j.choices[0].text, expected, `output ends right before stop ${JSON.stringify(stop)} (full: ${JSON.stringify(full)})`);
    assert.equal(j.choices[0].finish_reason, 'stop');
    const s = await streamJSON(srv, '/v1/completions', { ...base, stop });
    assert.equal(s.status, 200, s.text);
    const a = assembleText(s.chunks);
    assert.equal(a[0].text, expected, 'streamed output ends right before the stop string');
    assert.equal(a[0].finish_reason, 'stop');
  });

  test('stop strings are never emitted (chat, streamed)', async () => {
    const base = chatBody({ max_tokens: 32 });
    const full = expectStatus(await postJSON(srv, '/v1/chat/completions', base), 200).choices[0].message.content;
    const stop = pickStop(full);
    assert.ok(stop, `could not pick a stop string from ${JSON.stringify(full)}`);
    const expected = full.slice(0, full.indexOf(stop));
    const s = await streamJSON(srv, '/v1/chat/completions', { ...base, stop: ['NEVER-APPEARS-XYZ', stop] });
    assert.equal(s.status, 200, s.text);
    const a = assembleChat(s.chunks);
    assert.equal(a[0].content, expected, `stop ${JSON.stringify(stop)}, full ${JSON.stringify(full)}`);
    assert.equal(a[0].finish_reason, 'stop');
  });

  test('chat logprobs shape', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions',
      chatBody({ max_tokens: 5, logprobs: true, top_logprobs: 3 })), 200);
    const lp = j.choices[0].logprobs;
    assert.ok(lp && Array.isArray(lp.content), `choices[0].logprobs.content is an array: ${JSON.stringify(lp)}`);
    assert.equal(lp.content.length, 5, 'one logprob entry per generated token');
    for (const e of lp.content) {
      assert.equal(typeof e.token, 'string');
      assert.equal(typeof e.logprob, 'number');
      assert.ok(e.logprob <= 0, 'logprob <= 0');
      assert.ok(e.bytes === null || Array.isArray(e.bytes), 'bytes is an array or null');
      assert.ok(Array.isArray(e.top_logprobs));
      assert.equal(e.top_logprobs.length, 3, 'top_logprobs has the requested length');
      for (const t of e.top_logprobs) {
        assert.equal(typeof t.token, 'string');
        assert.equal(typeof t.logprob, 'number');
        assert.ok(t.logprob <= 0);
      }
      for (let i = 1; i < e.top_logprobs.length; i++) {
        assert.ok(e.top_logprobs[i - 1].logprob >= e.top_logprobs[i].logprob, 'top_logprobs sorted');
      }
      // greedy: the sampled token is the most likely one
      assert.ok(Math.abs(e.logprob - e.top_logprobs[0].logprob) < 1e-3, 'greedy token has the top logprob');
    }
    // Without logprobs requested: no logprobs.
    const k = expectStatus(await postJSON(srv, '/v1/chat/completions', chatBody({ max_tokens: 3 })), 200);
    assert.ok(k.choices[0].logprobs == null, 'logprobs absent/null when not requested');
    // Streamed: one entry per token across chunks.
    const s = await streamJSON(srv, '/v1/chat/completions', chatBody({ max_tokens: 5, logprobs: true, top_logprobs: 2 }));
    assert.equal(s.status, 200, s.text);
    let n = 0;
    for (const c of s.chunks) for (const ch of c.choices || []) n += ch.logprobs?.content?.length || 0;
    assert.equal(n, 5, 'streamed logprobs: one entry per token');
  });

  test('completions logprobs shape (legacy)', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/completions', {
      model, prompt: 'The lantern', max_tokens: 4, temperature: 0, ignore_eos: true, logprobs: 2,
    }), 200);
    const lp = j.choices[0].logprobs;
    assert.ok(lp, 'choices[0].logprobs present');
    assert.equal(lp.tokens.length, 4);
    assert.equal(lp.token_logprobs.length, 4);
    assert.ok(lp.token_logprobs.every((x) => typeof x === 'number' && x <= 0));
    assert.equal(lp.top_logprobs.length, 4);
    for (const t of lp.top_logprobs) {
      const n = Object.keys(t).length;
      assert.ok(n >= 1 && n <= 2, 'top_logprobs entries have at most `logprobs` alternatives');
    }
    assert.equal(lp.text_offset.length, 4);
  });

  test('response_format json_schema: output parses and matches the schema', async () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'boolean' } },
      required: ['a'],
      additionalProperties: false,
    };
    for (const stream of [false, true]) {
      const body = chatBody({
        max_tokens: 64,
        ignore_eos: false,
        response_format: { type: 'json_schema', json_schema: { name: 'flag', schema, strict: true } },
      });
      let content;
      let finish;
      if (stream) {
        const s = await streamJSON(srv, '/v1/chat/completions', body);
        assert.equal(s.status, 200, s.text);
        const a = assembleChat(s.chunks);
        content = a[0].content;
        finish = a[0].finish_reason;
      } else {
        const j = expectStatus(await postJSON(srv, '/v1/chat/completions', body), 200);
        content = j.choices[0].message.content;
        finish = j.choices[0].finish_reason;
      }
      assert.equal(finish, 'stop', `grammar forces the JSON to close (stream=${stream}): ${JSON.stringify(content)}`);
      let v;
      assert.doesNotThrow(() => { v = JSON.parse(content); }, `JSON.parse(${JSON.stringify(content)})`);
      assert.equal(typeof v, 'object');
      assert.deepEqual(Object.keys(v), ['a']);
      assert.equal(typeof v.a, 'boolean');
    }
  });

  test('response_format json_object: output is a JSON object', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions', chatBody({
      max_tokens: 128, ignore_eos: false, response_format: { type: 'json_object' },
    })), 200);
    const content = j.choices[0].message.content;
    assert.match(content, /^\s*\{/, `starts with { : ${JSON.stringify(content)}`);
    // Random weights may ramble until max_tokens; when the model stopped, the JSON is complete.
    if (j.choices[0].finish_reason === 'stop') {
      const v = JSON.parse(content);
      assert.equal(typeof v, 'object');
      assert.ok(v !== null && !Array.isArray(v));
    } else {
      assert.equal(j.choices[0].finish_reason, 'length');
    }
  });

  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for the harbor',
      parameters: {
        type: 'object',
        properties: { unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
        required: ['unit'],
        additionalProperties: false,
      },
    },
  }];

  function checkToolCall(tc) {
    assert.ok(tc, 'a tool call');
    assert.equal(tc.type, 'function');
    assert.equal(typeof tc.id, 'string');
    assert.ok(tc.id.length > 0, 'tool call id non-empty');
    assert.equal(tc.function.name, 'get_weather');
    let args;
    assert.doesNotThrow(() => { args = JSON.parse(tc.function.arguments); },
      `arguments JSON-parse: ${JSON.stringify(tc.function.arguments)}`);
    assert.ok(['celsius', 'fahrenheit'].includes(args.unit), `arguments match the schema: ${tc.function.arguments}`);
  }

  test('tools with tool_choice "required": finish_reason tool_calls, parseable arguments', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions', chatBody({
      messages: [{ role: 'user', content: 'What is the weather in the harbor?' }],
      tools, tool_choice: 'required', max_tokens: 128, ignore_eos: false,
    })), 200);
    const c = j.choices[0];
    assert.equal(c.finish_reason, 'tool_calls', JSON.stringify(c));
    assert.equal(c.message.role, 'assistant');
    assert.ok(Array.isArray(c.message.tool_calls) && c.message.tool_calls.length >= 1, JSON.stringify(c.message));
    checkToolCall(c.message.tool_calls[0]);
  });

  test('tools with a named tool_choice, streamed', async () => {
    const s = await streamJSON(srv, '/v1/chat/completions', chatBody({
      messages: [{ role: 'user', content: 'Weather please.' }],
      tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 128, ignore_eos: false,
    }));
    assert.equal(s.status, 200, s.text);
    assert.ok(s.doneLast);
    const a = assembleChat(s.chunks);
    assert.equal(a[0].finish_reason, 'tool_calls', JSON.stringify(a[0]));
    checkToolCall(a[0].tool_calls[0]);
  });

  test('a conversation with a tool result is accepted', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions', chatBody({
      messages: [
        { role: 'system', content: 'You are a harbor assistant.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"unit":"celsius"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 12}' },
      ],
      tools, max_tokens: 4,
    })), 200);
    assert.equal(j.choices[0].message.role, 'assistant');
  });

  test('sampling parameters are accepted', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/chat/completions', chatBody({
      temperature: 0.7, top_p: 0.9, top_k: 40, min_p: 0.05, presence_penalty: 0.5, frequency_penalty: 0.5,
      repetition_penalty: 1.1, seed: 3, user: 'tester', max_tokens: 4, logit_bias: { 15: -100 },
    })), 200);
    assert.equal(j.usage.completion_tokens, 4);
  });

  test('server still healthy', async () => {
    assert.equal((await getJSON(srv, '/health')).status, 200);
  });
});
