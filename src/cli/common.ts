// Options shared by the commands, defined once with their help text.

import { hostname } from 'node:os';
import type { Options } from 'yargs';
import type { Style } from '../print/style.js';
import { QtraceError } from '../util/errors.js';
import { checkZone, parseUserTime } from './time.js';

/** A whole number ≥ 0 (or ≥ 1), or one clear usage error naming the flag. */
export function wholeNumber(flag: string, min = 0): (v: unknown) => number | undefined {
  return (v: unknown) => {
    if (v === undefined) return undefined;
    const s = String(Array.isArray(v) ? v[v.length - 1] : v);
    if (!/^\d+$/.test(s) || Number(s) < min || !Number.isSafeInteger(Number(s))) {
      throw new QtraceError('USAGE', `${flag} wants a whole number${min > 0 ? ` of at least ${min}` : ''}, not '${s}'`);
    }
    return Number(s);
  };
}

/** One of a fixed list, said on one line (yargs' own `choices` message takes two). */
export function oneOf<T extends string>(flag: string, list: readonly T[]): (v: unknown) => T | undefined {
  return (v: unknown) => {
    if (v === undefined) return undefined;
    const s = String(v);
    if (!(list as readonly string[]).includes(s)) throw new QtraceError('USAGE', `${flag} is one of ${list.join(', ')}; not '${s}'`);
    return s as T;
  };
}

export const dbOption = {
  type: 'string',
  describe: 'SQLite database (default: $QTRACE_DB, else ./qtrace.db)',
} as const satisfies Options;

export const tzOption = {
  type: 'string',
  coerce: (v: unknown) => (v === undefined ? undefined : checkZone(String(v))),
  describe: 'time zone for zone-less stamps, --since/--until and printed times (IANA name; default: the system zone)',
} as const satisfies Options;

export const jsonOption = {
  type: 'boolean',
  default: false,
  describe: 'print NDJSON, one timeline per line (schemas/timeline.schema.json)',
} as const satisfies Options;

export const colorOption = {
  type: 'boolean',
  describe: 'colour the output (default: when stdout is a terminal and NO_COLOR is unset)',
} as const satisfies Options;

export function defaultHost(): string {
  return hostname().split('.')[0] ?? 'localhost';
}

export function useColor(flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  return process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
}

export const sinceOption = {
  type: 'string',
  describe: "from this time (ISO, 'today', 'yesterday', or an age: 2h)",
} as const satisfies Options;

export const untilOption = { type: 'string', describe: 'before this time' } as const satisfies Options;
export const hostOption = { type: 'string', describe: 'only this host' } as const satisfies Options;
export const limitOption = {
  type: 'string', coerce: wholeNumber('--limit'), describe: 'at most this many (0: no limit)',
} as const satisfies Options;

/** --since/--until as µs, read in --tz. */
export function timeRange(a: { since?: string | undefined; until?: string | undefined; tz?: string | undefined }):
  { since: number | undefined; until: number | undefined } {
  return {
    since: a.since === undefined ? undefined : parseUserTime(a.since, a.tz),
    until: a.until === undefined ? undefined : parseUserTime(a.until, a.tz),
  };
}

export function styleOf(a: { color?: boolean | undefined; tz?: string | undefined }): Style {
  return { color: useColor(a.color), zone: a.tz ?? 'system' };
}

/**
 * QTRACE_READER=inline keeps a load of files on one thread (thread: on two, whatever its size);
 * unset, qtrace decides. For a system where a second thread misbehaves, and for the tests.
 */
export function readerChoice(v: string | undefined): 'thread' | 'inline' | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'thread' || v === 'inline') return v;
  throw new QtraceError('USAGE', `QTRACE_READER must be thread or inline, not ${JSON.stringify(v)}`);
}
