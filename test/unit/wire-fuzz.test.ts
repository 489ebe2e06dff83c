// Smoke run of the wire fuzzer (the full million runs with `npm run fuzz`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpus, runWireFuzz } from '../fuzz/wire-fuzz.js';

test('20,000 mutated real packets: no exception, no forgery, nothing non-canonical accepted', () => {
  const corpus = loadCorpus();
  assert.ok(corpus.length > 100);
  const rep = runWireFuzz({ iterations: 20_000, seed: 694, corpus });
  assert.deepEqual(rep.failures, []);
  assert.equal(rep.exceptions, 0);
  assert.equal(rep.forgeries, 0);
  assert.equal(rep.nonCanonical, 0);
  // The mutations reach past the first checks: some mutants decode and are refused by their digest.
  assert.ok((rep.verdicts['netstring:bad-digest'] ?? 0) > 100);
  assert.ok((rep.verdicts['classic:bad-digest'] ?? 0) > 10);
});
