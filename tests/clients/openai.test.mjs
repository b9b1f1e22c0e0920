// Client conformance: the official OpenAI Node SDK (pinned 4.95.0) against a wharf server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from '../integration/lib.mjs';

const KEY = 'sk-wharf-clients';

describe('openai SDK', { timeout: 300000 }, () => {
  let srv;
  let client;
  let model;
  before(async () => {
    srv = await startServer({ ctx: 2048, parallel: 2, apiKey: KEY });
    model = srv.modelId;
    client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 120000 });
  });
  after(async () => { if (srv) await srv.stop(); });

  test('models.list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes(model), `${model} in ${JSON.stringify(ids)}`);
    const one = await client.models.retrieve(model).catch((e) => e);
    // retrieve is optional; when it answers it must name the model
    if (!(one instanceof Error)) assert.equal(one.id, model);
  });

  test('chat.completions.create', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
      max_tokens: 8,
      temperature: 0,
      seed: 1,
      // @ts-ignore wharf extension
      ignore_eos: true,
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(typeof r.choices[0].message.content, 'string');
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 8);
    assert.ok(r.usage.prompt_tokens > 0);
  });

  test('chat.completions.create with stream: true', async () => {
    const params = {
      model,
      messages: [{ role: 'user', content: 'Tell me about ships' }],
      max_tokens: 12,
      temperature: 0,
      ignore_eos: true,
    };
    const plain = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
    let content = '';
    let role;
    let finish = null;
    let usage = null;
    let n = 0;
    for await (const chunk of stream) {
      n++;
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const ch of chunk.choices) {
        if (ch.delta.role) role = role || ch.delta.role;
        if (ch.delta.content) content += ch.delta.content;
        if (ch.finish_reason) finish = ch.finish_reason;
      }
    }
    assert.ok(n >= 2);
    assert.equal(role, 'assistant');
    assert.equal(finish, 'length');
    assert.equal(content, plain.choices[0].message.content);
    assert.equal(usage?.completion_tokens, 12);
  });

  test('chat stream helper (beta.chat.completions.stream) assembles the message', async () => {
    const runner = client.beta.chat.completions.stream({
      model, messages: [{ role: 'user', content: 'Say something' }], max_tokens: 6, temperature: 0, ignore_eos: true,
    });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.equal(typeof final.choices[0].message.content, 'string');
    assert.equal(final.choices[0].finish_reason, 'length');
  });

  test('completions.create, plain and streamed', async () => {
    const p = { model, prompt: 'The harbor at night', max_tokens: 10, temperature: 0, ignore_eos: true };
    const r = await client.completions.create(p);
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices.length, 1);
    assert.equal(typeof r.choices[0].text, 'string');
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 10);
    const s = await client.completions.create({ ...p, stream: true });
    let text = '';
    let finish = null;
    for await (const c of s) {
      for (const ch of c.choices) {
        text += ch.text;
        if (ch.finish_reason) finish = ch.finish_reason;
      }
    }
    assert.equal(text, r.choices[0].text);
    assert.equal(finish, 'length');
  });

  test('tool calls parse through the SDK', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { unit: { type: 'string', enum: ['c', 'f'] } }, required: ['unit'] },
        },
      }],
      tool_choice: 'required',
      max_tokens: 96,
      temperature: 0,
    });
    const c = r.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.tool_calls[0].function.name, 'get_weather');
    const args = JSON.parse(c.message.tool_calls[0].function.arguments);
    assert.ok(['c', 'f'].includes(args.unit));
  });

  test('unknown model -> NotFoundError', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      (e) => {
        assert.ok(e instanceof OpenAI.NotFoundError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 404);
        assert.equal(e.code, 'model_not_found');
        assert.equal(typeof e.error?.message, 'string');
        return true;
      });
  });

  test('invalid input -> BadRequestError', async () => {
    await assert.rejects(
      client.chat.completions.create({ model, messages: [], max_tokens: 2 }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 400);
        assert.equal(typeof e.error?.message, 'string');
        return true;
      });
    await assert.rejects(
      client.completions.create({ model, prompt: 'hi', max_tokens: 0 }),
      (e) => e instanceof OpenAI.BadRequestError);
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], temperature: -3 }),
      (e) => e instanceof OpenAI.BadRequestError);
    // Streamed requests fail before the stream starts, as a typed error too.
    await assert.rejects(
      (async () => {
        const s = await client.chat.completions.create({ model, messages: [], max_tokens: 2, stream: true });
        for await (const _ of s) { /* not reached */ }
      })(),
      (e) => e instanceof OpenAI.BadRequestError);
  });

  test('context too long -> BadRequestError with code context_length_exceeded', async () => {
    await assert.rejects(
      client.completions.create({ model, prompt: 'harbor '.repeat(3000), max_tokens: 8 }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.code, 'context_length_exceeded');
        return true;
      });
  });

  test('wrong API key -> AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(
      bad.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      (e) => {
        assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 401);
        return true;
      });
    await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError);
  });
});
