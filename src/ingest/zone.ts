// Zone-less local times (tai64nlocal, RFC 3164) → UTC offsets, through luxon once per local hour;
// whether a time has a second reading (a DST fold) is asked of luxon only near a change.

import { IANAZone } from 'luxon';
import type { ZoneResolver } from '../../parsers/timestamp.js';
import { QtraceError } from '../util/errors.js';

const HOUR_MS = 3_600_000;

export function zoneResolver(name: string | undefined): ZoneResolver {
  const zoneName = name ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = IANAZone.create(zoneName);
  if (!zone.isValid) throw new QtraceError('BAD_TZ', `unknown time zone: ${zoneName}`, 'use an IANA name such as Europe/Berlin or UTC');
  const cache = new Map<number, number>();
  const quiet = new Map<number, boolean>(); // hour → no offset change within 7 h of it
  return {
    offsetMinutes(localAsUtcMs: number): number {
      const hour = Math.floor(localAsUtcMs / HOUR_MS);
      let off = cache.get(hour);
      if (off === undefined) {
        // The offset at the UTC instant one naive guess away; correct except inside a DST gap/fold.
        const guess = zone.offset(localAsUtcMs);
        off = zone.offset(localAsUtcMs - guess * 60_000);
        cache.set(hour, off);
      }
      return off;
    },
    otherReading(us: number): number | undefined {
      const ms = Math.floor(us / 1000);
      // nearly every hour is far from a DST change: decided once per hour, not per line
      const hour = Math.floor(ms / HOUR_MS);
      let q = quiet.get(hour);
      if (q === undefined) {
        const h = hour * HOUR_MS;
        const o = zone.offset(h);
        q = zone.offset(h - 7 * HOUR_MS) === o && zone.offset(h + 8 * HOUR_MS) === o;
        if (quiet.size > 10_000) quiet.clear();
        quiet.set(hour, q);
      }
      if (q) return undefined;
      const off = zone.offset(ms);
      let other = zone.offset(ms + 6 * HOUR_MS);
      if (other === off) other = zone.offset(ms - 6 * HOUR_MS);
      if (other === off) return undefined;
      const alt = us + (off - other) * 60_000_000;
      return zone.offset(Math.floor(alt / 1000)) === other ? alt : undefined;
    },
  };
}

/** RFC 3164 has no year: start from a reference date (file mtime, else now) and roll at Dec → Jan. */
export function yearGuesser(reference: Date): (month: number) => number {
  let year = reference.getUTCFullYear();
  let last = -1;
  const refMonth = reference.getUTCMonth() + 1;
  return (month: number): number => {
    if (last === -1) {
      if (month > refMonth) year--; // a log line cannot come from the future
    } else if (month < last && last - month > 6) {
      year++;
    }
    last = month;
    return year;
  };
}
