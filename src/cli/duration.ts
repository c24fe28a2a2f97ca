// Durations on the command line: 90s, 30m, 1h, 7d, 2w (a bare number is seconds).

import { QtraceError } from '../util/errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** '1h' → µs. */
export function parseDuration(s: string, what: string): number {
  const x = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(s.trim());
  if (x === null) throw new QtraceError('BAD_DURATION', `cannot read ${what} '${s}'`, 'use a number and a unit: 90s, 30m, 1h, 7d');
  return Math.round(Number(x[1]) * UNITS[x[2] === '' ? 's' : x[2]!]! * 1e6);
}
