// Options shared by the commands, defined once with their help text.

import { hostname } from 'node:os';
import type { Options } from 'yargs';

export const dbOption = {
  type: 'string',
  describe: 'SQLite database (default: $QTRACE_DB, else ./qtrace.db)',
} as const satisfies Options;

export const tzOption = {
  type: 'string',
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
