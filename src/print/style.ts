// How printers render: colour or not, and the zone times are shown in (the views stay UTC).

import { hms, millis, msFromIso, offsetText, wallClock, ymd, type Wall } from '../util/zone-time.js';

export interface Style {
  readonly color: boolean;
  readonly zone: string;   // IANA name or 'system'
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Color = keyof typeof CODES;

export function paint(s: Style, c: Color, text: string): string {
  return s.color ? `\x1b[${CODES[c]}m${text}\x1b[0m` : text;
}

function local(iso: string, s: Style): Wall {
  return wallClock(msFromIso(iso), s.zone);
}

/** '2026-11-25T17:49:46.260657Z' → '2026-11-25 18:49:46.260657 +01:00' in the style's zone. */
export function when(iso: string | null, s: Style): string {
  if (iso === null) return '?';
  const t = local(iso, s);
  return `${ymd(t)} ${hms(t)}.${iso.slice(20, 26)} ${offsetText(t)}`;
}

/** Time of day only, to the millisecond: for lines under a dated header. */
export function clock(iso: string | null, s: Style): string {
  if (iso === null) return '?';
  const t = local(iso, s);
  return `${hms(t)}.${millis(t)}`;
}

/** clock(), with the date in front whenever it is not the date of `prev` (the line before), in the style's zone. */
export function stamp(iso: string | null, prev: string | null, s: Style): string {
  if (iso === null) return '?';
  const t = local(iso, s);
  const same = prev !== null && ymd(local(prev, s)) === ymd(t);
  return `${same ? '' : ymd(t) + ' '}${hms(t)}.${millis(t)}`;
}
