// The printers' zone arithmetic (src/util/zone-time.ts) against luxon, which it replaced on the
// start-up path: every instant in every zone gives luxon's wall clock and offset.

import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { hms, millis, msFromIso, offsetText, wallClock, ymd } from '../../src/util/zone-time.js';

const ZONES = ['system', 'UTC', 'utc', 'Europe/Berlin', 'America/New_York', 'America/St_Johns', 'Asia/Kolkata',
  'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'UTC+5:30', 'UTC-3', 'Europe/London'];

function luxon(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone: 'utc' }).setZone(zone).toFormat('yyyy-LL-dd HH:mm:ss.SSS ZZ');
}
function ours(ms: number, zone: string): string {
  const w = wallClock(ms, zone);
  return `${ymd(w)} ${hms(w)}.${millis(w)} ${offsetText(w)}`;
}

describe('wallClock', () => {
  it('agrees with luxon on random instants from 1970 to 2100 in every zone', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(...ZONES), (ms, zone) => {
      expect(ours(ms, zone)).toBe(luxon(ms, zone));
    }), { numRuns: 3000 });
  });

  it('agrees with luxon around DST changes (each minute of the hours either side)', () => {
    const changes = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z',
      '2026-04-05T15:00:00Z', '2026-10-03T16:00:00Z'];
    for (const c of changes) {
      for (let m = -90; m <= 90; m++) {
        const ms = Date.parse(c) + m * 60_000 + 999;
        for (const zone of ZONES) expect(ours(ms, zone)).toBe(luxon(ms, zone));
      }
    }
  });

  it('reads a view stamp to the millisecond, cutting the microseconds', () => {
    expect(msFromIso('2026-11-25T17:49:46.260657Z')).toBe(Date.parse('2026-11-25T17:49:46.260Z'));
    expect(msFromIso('2026-11-25T17:49:46Z')).toBe(Date.parse('2026-11-25T17:49:46Z'));
    expect(ours(msFromIso('2026-11-25T17:49:46.260657Z'), 'Europe/Berlin')).toBe('2026-11-25 18:49:46.260 +01:00');
  });

  it('refuses a zone Intl does not know', () => {
    expect(() => wallClock(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});
