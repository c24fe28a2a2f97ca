// Zone-less local times (tai64nlocal, RFC 3164) → UTC offsets, through luxon once per local hour;
// whether a time has a second reading (a DST fold) is asked of luxon only near a change.

import { readFileSync, realpathSync } from 'node:fs';
import { IANAZone } from 'luxon';
import type { ZoneResolver } from '../../parsers/timestamp.js';
import { QtraceError } from '../util/errors.js';

const HOUR_MS = 3_600_000;

/** A zoneinfo file's IANA name from its path (`…/zoneinfo/[posix/]Europe/Berlin`; right/ counts leap seconds: not one). */
function zoneOfPath(path: string): string | undefined {
  let real: string;
  try { real = realpathSync(path); } catch { return undefined; }
  const i = real.lastIndexOf('/zoneinfo/');
  const name = i < 0 ? undefined : real.slice(i + 10).replace(/^posix\//, '');
  return name !== undefined && IANAZone.isValidZone(name) ? name : undefined;
}

/**
 * This machine's zone as an IANA name. With TZ set, what it names in glibc's forms: a name, a
 * zoneinfo path (`:/etc/localtime`, which Intl does not read), `""` for UTC; a POSIX rule
 * (`CET-1CEST,M3.5.0,M10.5.0/3`) has no name here, and Intl would silently say UTC. Without TZ,
 * Intl's zone, else /etc/localtime's link, else /etc/timezone.
 */
export function systemZoneName(tz: string | undefined = process.env['TZ'], etc = '/etc',
  intl: () => string | undefined = () => Intl.DateTimeFormat().resolvedOptions().timeZone as string | undefined): string | undefined {
  if (tz !== undefined) {
    const t = tz.replace(/^:/, '');
    if (t === '' || /^[A-Za-z]{3,}0$/.test(t)) return 'UTC'; // `UTC0`: a rule with no offset and no DST
    if (t.startsWith('/')) return zoneOfPath(t);
    return IANAZone.isValidZone(t) ? t : zoneOfPath(`/usr/share/zoneinfo/${t}`);
  }
  const name = intl();
  if (name !== undefined && IANAZone.isValidZone(name)) return name;
  const linked = zoneOfPath(`${etc}/localtime`);
  if (linked !== undefined) return linked;
  try {
    const written = readFileSync(`${etc}/timezone`, 'utf8').trim();
    if (IANAZone.isValidZone(written)) return written;
  } catch { /* none */ }
  return undefined;
}

/**
 * Local times → UTC. A zone named (--tz) is checked at once; the machine's own is looked up when
 * a zone-less local time first needs it: a multilog log never does, and Intl's start costs 20 ms.
 */
export function zoneResolver(name: string | undefined, system: () => string | undefined = systemZoneName): ZoneResolver {
  let zone: IANAZone | undefined;
  if (name !== undefined) {
    zone = IANAZone.create(name);
    if (!zone.isValid) throw new QtraceError('BAD_TZ', `unknown time zone: ${name}`, 'use an IANA name such as Europe/Berlin or UTC');
  }
  const z = (): IANAZone => {
    if (zone !== undefined) return zone;
    const found = system();
    if (found === undefined) {
      throw new QtraceError('BAD_TZ', `these logs have local times, and this machine's time zone has no name qtrace knows${process.env['TZ'] === undefined ? '' : ` (TZ=${process.env['TZ']})`}`,
        'give it with --tz, e.g. --tz Europe/Berlin');
    }
    return (zone = IANAZone.create(found));
  };
  const cache = new Map<number, number>();
  const quiet = new Map<number, boolean>(); // hour → no offset change within 7 h of it
  return {
    offsetMinutes(localAsUtcMs: number): number {
      const hour = Math.floor(localAsUtcMs / HOUR_MS);
      let off = cache.get(hour);
      if (off === undefined) {
        // The offset at the UTC instant one naive guess away; correct except inside a DST gap/fold.
        const guess = z().offset(localAsUtcMs);
        off = z().offset(localAsUtcMs - guess * 60_000);
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
        const o = z().offset(h);
        q = z().offset(h - 7 * HOUR_MS) === o && z().offset(h + 8 * HOUR_MS) === o;
        if (quiet.size > 10_000) quiet.clear();
        quiet.set(hour, q);
      }
      if (q) return undefined;
      const off = z().offset(ms);
      let other = z().offset(ms + 6 * HOUR_MS);
      if (other === off) other = z().offset(ms - 6 * HOUR_MS);
      if (other === off) return undefined;
      const alt = us + (off - other) * 60_000_000;
      return z().offset(Math.floor(alt / 1000)) === other ? alt : undefined;
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
