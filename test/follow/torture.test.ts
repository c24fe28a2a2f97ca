// A few kills of `npm run torture`'s follow part in every test run: a writer replays real lab
// lines and rotates like multilog while `qtrace follow` is killed (mostly kill -9) and started
// again; then the store equals a one-shot ingest of the same files.

import { describe, expect, it } from 'vitest';
import { haveLab } from '../helpers/lab.js';
import { FOLLOW_SCENARIOS, followTrial } from '../torture/follow-torture.js';
import { rng } from '../torture/torture.js';

describe.skipIf(!haveLab())('follow torture (a few kills; npm run torture runs hundreds)', () => {
  it(`${FOLLOW_SCENARIOS[0]!.name}: killed at random moments while lines come and files rotate, nothing lost or doubled`, async () => {
    const r = await followTrial(FOLLOW_SCENARIOS[0]!, rng(20261201), { maxKills: 4, killMaxMs: 1200, pace: 6 });
    expect(r.kills.SIGKILL + r.kills.SIGTERM + r.kills.SIGINT).toBe(4);
    expect(r.rotations).toBeGreaterThan(0);
    expect(r.equal, r.diff).toBe(true);
  }, 180_000);
});
