// Timestamp decoding: pure arithmetic, no Date/luxon objects on the per-line path.
// Times are unix microseconds (integers in a double: exact until the year 2255).

const TAI_HI_OFFSET = 0x40000000; // 2^62 expressed in units of 2^32
const TAI_UNIX_OFFSET = 10;       // daemontools' fixed TAI−UTC constant (tai.h)
const TWO32 = 4294967296;

export interface Stamp {
  readonly us: number;   // unix microseconds
  readonly ns: number;   // nanoseconds within the second, as logged (keeps what µs drops)
}

/** `@4000000063a1b2c3d4e5f607` → unix time. `hex` is the 24 hex digits after '@'. */
export function decodeTai64n(hex: string): Stamp | undefined {
  return hex.length === 24 ? decodeTai64nAt(hex, 0) : undefined;
}

/** The 8 hex digits of `s` from `at` as a number, or -1 (no substring, no parseInt: every multilog line). */
function hex8(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** The 24 hex digits of a TAI64N label in `s` from `at` → unix time. */
export function decodeTai64nAt(s: string, at: number): Stamp | undefined {
  const us = tai64nUsAt(s, at);
  return us === undefined ? undefined : { us, ns: hex8(s, at + 16) };
}

/** The same label's unix µs alone: no object per line (every multilog line is framed with it). */
export function tai64nUsAt(s: string, at: number): number | undefined {
  const hi = hex8(s, at);
  const lo = hex8(s, at + 8);
  const ns = hex8(s, at + 16);
  if (hi < 0 || lo < 0 || ns < 0 || ns > 999_999_999) return undefined;
  return ((hi - TAI_HI_OFFSET) * TWO32 + lo - TAI_UNIX_OFFSET) * 1_000_000 + Math.floor(ns / 1000);
}

/** Unix time → TAI64N label hex (24 digits), for tests and the benchmark's log replay. */
export function encodeTai64n(us: number, ns?: number): string {
  const sec = Math.floor(us / 1_000_000);
  const nanos = ns ?? (us - sec * 1_000_000) * 1000 + 500;
  const t = sec + TAI_UNIX_OFFSET;
  const hi = TAI_HI_OFFSET + Math.floor(t / TWO32);
  const lo = t % TWO32;
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0') + nanos.toString(16).padStart(8, '0');
}

/** `1795629956.275599` (splogger, accustamp) → unix µs. Fraction of 1–9 digits. */
export function decodeUnixDecimal(s: string): Stamp | undefined {
  const dot = s.indexOf('.');
  const secPart = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  if (secPart.length === 0 || secPart.length > 12 || frac.length > 9) return undefined;
  const sec = Number(secPart);
  const f = frac.length === 0 ? 0 : Number(frac.padEnd(9, '0'));
  if (!Number.isInteger(sec) || !Number.isInteger(f)) return undefined;
  return { us: sec * 1_000_000 + Math.floor(f / 1000), ns: f };
}

/** Resolves a zone-less local wall time to its UTC offset. Built once per input, cached per hour. */
export interface ZoneResolver {
  /** Offset in minutes east of UTC for this local wall time (given as if it were UTC, in ms). */
  offsetMinutes(localAsUtcMs: number): number;
  /** The other instant with the same wall time as `us`, when `us` lies in a DST fold. */
  otherReading?(us: number): number | undefined;
}

export const UTC_ZONE: ZoneResolver = { offsetMinutes: () => 0 };

/**
 * Civil date-time parts → unix µs. `fracDigits` is the fraction as written (0–9 digits).
 * Returns undefined for impossible fields; never throws.
 */
export function civilToStamp(y: number, mo: number, d: number, h: number, mi: number, s: number,
  fracDigits: string, offsetMin: number | ZoneResolver): Stamp | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const localMs = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(localMs)) return undefined;
  const off = typeof offsetMin === 'number' ? offsetMin : offsetMin.offsetMinutes(localMs);
  const ns = fracDigits.length === 0 ? 0 : Number(fracDigits.padEnd(9, '0').slice(0, 9));
  if (!Number.isInteger(ns)) return undefined;
  return { us: (localMs - off * 60_000) * 1000 + Math.floor(ns / 1000), ns };
}

/** ISO 8601 UTC with microseconds: what every output of qtrace prints. */
export function isoFromMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // 2026-11-25T17:47:12.123Z
  const micro = String(us - ms * 1000).padStart(3, '0');
  return iso.slice(0, 23) + micro + 'Z';
}
