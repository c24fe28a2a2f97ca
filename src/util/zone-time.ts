// A UTC instant as the wall clock of a zone, for printing times: the system zone through Date's
// local getters, a named zone through one cached Intl.DateTimeFormat. Luxon gives the same answers
// (test/text/zone-time.test.ts holds it as the oracle) but costs ~25 ms of a `qtrace show`'s
// start-up (its import, then ICU's locale lookup on first use).
//
// Zones are what luxon accepts (cli/time.ts checkZone): 'system'/'local'/'default', 'utc'/'gmt',
// fixed 'UTC+5:30', and IANA names.

export interface Wall {
  readonly year: number; readonly month: number; readonly day: number;
  readonly hour: number; readonly minute: number; readonly second: number; readonly ms: number;
  /** minutes east of UTC */
  readonly offset: number;
}

type ZoneFn = (ms: number) => Wall;

const RX_FIXED = /^(?:utc|gmt)([+-])(\d{1,2})(?::?(\d\d))?$/i;
const zones = new Map<string, ZoneFn>();

function utcWall(ms: number, offset: number): Wall {
  const d = new Date(ms + offset * 60_000);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(),
    minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds(), offset,
  };
}

function systemWall(ms: number): Wall {
  const d = new Date(ms);
  return {
    year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(),
    minute: d.getMinutes(), second: d.getSeconds(), ms: d.getMilliseconds(), offset: -d.getTimezoneOffset(),
  };
}

function namedZone(name: string): ZoneFn {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: name, hourCycle: 'h23', era: 'short',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return (ms) => {
    const p: Record<string, string> = {};
    for (const x of f.formatToParts(ms)) p[x.type] = x.value;
    const year = p['era'] === 'BC' ? 1 - Number(p['year']) : Number(p['year']);
    const [month, day, hour, minute, second] = [p['month'], p['day'], p['hour'], p['minute'], p['second']].map(Number) as
      [number, number, number, number, number];
    const whole = ms - (((ms % 1000) + 1000) % 1000);
    const offset = Math.round((Date.UTC(year, month - 1, day, hour, minute, second) - whole) / 60_000);
    return { year, month, day, hour, minute, second, ms: ms - whole, offset };
  };
}

function zoneFn(zone: string): ZoneFn {
  let fn = zones.get(zone);
  if (fn !== undefined) return fn;
  const z = zone.toLowerCase();
  const fixed = RX_FIXED.exec(zone);
  if (z === 'system' || z === 'local' || z === 'default') fn = systemWall;
  else if (z === 'utc' || z === 'gmt' || z === 'z' || z === 'etc/utc') fn = (ms) => utcWall(ms, 0);
  else if (fixed !== null) {
    const off = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0));
    fn = (ms) => utcWall(ms, off);
  } else fn = namedZone(zone); // an unknown name throws RangeError here (the CLI checks --tz first)
  zones.set(zone, fn);
  return fn;
}

/** The wall clock in `zone` at `ms` (milliseconds since the epoch). */
export function wallClock(ms: number, zone: string): Wall {
  return zoneFn(zone)(ms);
}

const RX_ISO = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/;

/** Milliseconds of a view's UTC stamp ('2026-11-25T17:49:46.260657Z'); the fraction is cut, not rounded. */
export function msFromIso(iso: string): number {
  const m = RX_ISO.exec(iso);
  if (m === null) return Date.parse(iso);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]),
    Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)));
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** yyyy-LL-dd */
export function ymd(w: Wall): string {
  return `${String(w.year).padStart(4, '0')}-${p2(w.month)}-${p2(w.day)}`;
}

/** HH:mm:ss */
export function hms(w: Wall): string {
  return `${p2(w.hour)}:${p2(w.minute)}:${p2(w.second)}`;
}

/** .SSS */
export function millis(w: Wall): string {
  return String(w.ms).padStart(3, '0');
}

/** ZZ: +01:00, -03:30, +00:00 */
export function offsetText(w: Wall): string {
  const a = Math.abs(w.offset);
  return `${w.offset < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}:${p2(a % 60)}`;
}
