// User-given times: anything qtrace prints (`2026-11-25 17:49:46.414423 +00:00`, the --json ISO
// `2026-11-25T17:49:46.414423Z`, `2026-11-25 17:49:46.416`), other ISO dates (zone-less ones in
// --tz), 'today', 'yesterday', 'now', and '-2h' style ages. Microseconds are kept.

import { createRequire } from 'node:module';
import type { FixedOffsetZone } from 'luxon';
import { QtraceError } from '../util/errors.js';

// Loaded on first need (a --tz, a date): `show ID` and `--since 2h` start without it (~10 ms).
let lib: typeof import('luxon') | undefined;
const luxon = (): typeof import('luxon') => (lib ??= createRequire(import.meta.url)('luxon') as typeof import('luxon'));

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const RX_STAMP = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/** --tz: an IANA name (or UTC, UTC+1, system: what luxon knows); anything else is a usage error, not `Invalid DateTime` rows. */
export function checkZone(tz: string): string {
  if (tz !== '' && luxon().Info.normalizeZone(tz)?.isValid === true) return tz;
  // no hint argument: yargs passes errors thrown in a coerce on with their message only
  throw new QtraceError('USAGE', `--tz: unknown time zone '${tz}' (use an IANA name such as Europe/Berlin or UTC)`);
}

function offsetZone(o: string): FixedOffsetZone {
  const { FixedOffsetZone } = luxon();
  if (/^z$/i.test(o)) return FixedOffsetZone.utcInstance;
  const m = /^([+-])(\d\d):?(\d\d)?$/.exec(o)!;
  return FixedOffsetZone.instance((m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)));
}

export function parseUserTime(s: string, tz: string | undefined, now: Date = new Date()): number {
  const zone = tz ?? 'system';
  const t = s.trim();
  const rel = /^-?(\d+)([smhdw])$/.exec(t);
  if (rel !== null) return (now.getTime() - Number(rel[1]) * UNITS[rel[2]!]! * 1000) * 1000;
  if (t === 'now') return now.getTime() * 1000;
  const { DateTime } = luxon();
  const base = DateTime.fromJSDate(now, { zone });
  if (t === 'today') return base.startOf('day').toMillis() * 1000;
  if (t === 'yesterday') return base.startOf('day').minus({ days: 1 }).toMillis() * 1000;
  const m = RX_STAMP.exec(t);
  if (m !== null) {
    const dt = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0), second: Number(m[6] ?? 0) }, { zone: m[8] === undefined ? zone : offsetZone(m[8]) });
    if (dt.isValid) return dt.toMillis() * 1000 + Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  } else {
    const dt = DateTime.fromISO(t, { zone, setZone: false });
    if (dt.isValid) return dt.toMillis() * 1000;
  }
  throw new QtraceError('BAD_TIME', `cannot read time '${s}'`,
    "use a time as qtrace prints it (2026-11-25 18:00:00 +01:00), ISO 8601, 'today', 'yesterday' or an age like 2h");
}
