import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzProperty } from './harness.js';
import { FUZZ_TARGETS } from './targets.js';

// The short fuzz run of every CI: each target of targets.ts for its `ciRuns` cases (the long run is
// `npm run fuzz`, 1,000,000 cases per target). A failure prints fast-check's seed and path; replay
// it here with XINYI_FUZZ_SEED and XINYI_FUZZ_PATH, or with `npm run fuzz -- --target … --seed … --path …`.
const seed = process.env.XINYI_FUZZ_SEED === undefined ? undefined : Number(process.env.XINYI_FUZZ_SEED);
const path = process.env.XINYI_FUZZ_PATH;

describe('fuzz: every decoder and parser that takes outside input', () => {
  beforeAll(async () => {
    for (const target of FUZZ_TARGETS) await target.setup?.();
  });
  afterAll(() => {
    for (const target of FUZZ_TARGETS) target.teardown?.();
  });

  it('covers each input path once', () => {
    const names = FUZZ_TARGETS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });

  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: ${target.input}`, async () => {
      await fc.assert(fuzzProperty(target), {
        numRuns: target.ciRuns,
        ...(seed === undefined ? {} : { seed }),
        ...(path === undefined ? {} : { path }),
      });
    });
  }
});
