// qtrace's own diagnostics (--verbose): pino, made readable by pino-pretty, on stderr.
// Off by default, and then pino's methods are no-ops: the hot path pays nothing.

import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type Log = Logger;

/** verbose: everything down to debug; 'warn': only warnings and errors (follow's findings); false: nothing. */
export function makeLog(verbose: boolean | 'warn'): Log {
  if (verbose === false) return pino({ enabled: false });
  return pino({ level: verbose === 'warn' ? 'warn' : 'debug', base: null }, pretty({
    destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l',
  }));
}
