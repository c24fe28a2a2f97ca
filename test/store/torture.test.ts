// A few trials of `npm run torture` in every test run: random kills and signals during ingest,
// then the store equals a clean run's.

import { describe, expect, it } from 'vitest';
import { rng, SCENARIOS, trial } from '../torture/torture.js';

describe('torture (a few trials; npm run torture runs hundreds)', () => {
  for (const s of [SCENARIOS[0]!, SCENARIOS[2]!]) {
    it(`${s.name}: killed at random moments, the store equals a clean run's`, async () => {
      const random = rng(20261201);
      for (let i = 0; i < 2; i++) {
        const r = await trial(s, random);
        expect(r.equal, r.diff).toBe(true);
      }
    }, 180_000);
  }
});
