// User-given times: ISO dates (zone-less ones in --tz), 'today', 'yesterday', 'now', and '-2h' style ages.

import { DateTime } from 'luxon';
import { QtraceError } from '../util/errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseUserTime(s: string, tz: string | undefined, now: Date = new Date()): number {
  const zone = tz ?? 'system';
  const base = DateTime.fromJSDate(now, { zone });
  const rel = /^-?(\d+)([smhdw])$/.exec(s);
  if (rel !== null) return (now.getTime() - Number(rel[1]) * UNITS[rel[2]!]! * 1000) * 1000;
  if (s === 'now') return now.getTime() * 1000;
  if (s === 'today') return base.startOf('day').toMillis() * 1000;
  if (s === 'yesterday') return base.startOf('day').minus({ days: 1 }).toMillis() * 1000;
  const dt = DateTime.fromISO(s.replace(' ', 'T'), { zone, setZone: false });
  if (!dt.isValid) {
    throw new QtraceError('BAD_TIME', `cannot read time '${s}'`, "use ISO 8601 (2026-11-25T18:00), 'today', 'yesterday' or an age like 2h");
  }
  return dt.toMillis() * 1000;
}
