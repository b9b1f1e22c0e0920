// Quality check with a real trained model (karpathy's stories260K): greedy continuation of
// "Once upon a time" tells the story of Lily. Skipped only when the shared model is absent.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startServer, postJSON, expectStatus, storiesModelPath } from './lib.mjs';

const model = storiesModelPath();
const skip = existsSync(model) ? false : `${model} not present`;

describe('stories260K quality', { timeout: 120000, skip }, () => {
  let srv;
  before(async () => { srv = await startServer({ model, ctx: 512, parallel: 2 }); });
  after(async () => { if (srv) await srv.stop(); });

  test('greedy "Once upon a time" continues with Lily', async () => {
    const j = expectStatus(await postJSON(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'Once upon a time', max_tokens: 40, temperature: 0,
    }), 200);
    assert.equal(j.model, 'stories260K');
    const text = j.choices[0].text;
    assert.ok(text.includes('Lily'), `expected "Lily" in ${JSON.stringify(text)}`);
    assert.ok(text.startsWith(', there was a little girl'), `expected the known continuation, got ${JSON.stringify(text)}`);
  });

  test('"Lily and Ben" continues in the park', async () => {
    const a = expectStatus(await postJSON(srv, '/v1/completions', {
      model: srv.modelId, prompt: 'Lily and Ben', max_tokens: 20, temperature: 0,
    }), 200).choices[0].text;
    assert.ok(a.startsWith(' were playing in the park'), JSON.stringify(a));
  });
});
