// The stage between recordio's records and the dialogue: recordio writes each read() of a pid's
// socket cut at '\n', a piece without its newline ending in '+', so a line may come in several
// records; this joins them per direction, strips a CR that came split from its LF, counts the
// bytes as sent (a joined line longer than MAX_LINE keeps only its start, its bytes all count),
// and hands each complete line on typed by what the server is reading (parsers/smtp-dialogue.ts).

import { clientEvent, parseSmtpReply, type ClientLine } from '../../../parsers/smtp-dialogue.js';
import type { RecordioCr } from '../../../parsers/smtpd-events.js';
import { onClient, onReply } from './dialogue.js';
import type { MSession } from './state.js';

/** Pieces of a line not yet ended, per direction (part of the session's stored state). */
export interface JoinState {
  inBuf: string | null; inBytes: number;       // client side
  outBuf: string | null;                       // server side
}

const MAX_LINE = 4096;                          // chars kept of a joined line

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A client record; a complete line when it ends one. */
export function joinClient(j: JoinState, text: string, partial: boolean, cr: RecordioCr): ClientLine | undefined {
  if (partial) {
    j.inBytes += utf8Bytes(text);
    j.inBuf = j.inBuf === null ? text : j.inBuf.length < MAX_LINE ? j.inBuf + text : j.inBuf;
    return undefined;
  }
  if (j.inBuf === null) return { text, bytes: utf8Bytes(text), cr, eof: false };
  let line = j.inBuf.length < MAX_LINE ? j.inBuf + text : j.inBuf;
  let bytes = j.inBytes + utf8Bytes(text);
  let ending = cr;
  if (cr === '' && text === '' && (line.endsWith('\r') || line.endsWith('?'))) {  // CR split from its LF
    ending = line.endsWith('\r') ? '\r' : '?';
    line = line.slice(0, -1);
    bytes -= 1;
  }
  j.inBuf = null;
  j.inBytes = 0;
  return { text: line, bytes, cr: ending, eof: false };
}

/** The client's unended piece when it closed (or the session closes); the buffer is emptied. */
export function clientRest(j: JoinState): ClientLine | undefined {
  const rest = j.inBuf;
  j.inBuf = null;
  return rest === null ? undefined : { text: rest, bytes: j.inBytes, cr: '', eof: true };
}

/** A server record; a complete line when it ends one. */
export function joinServer(j: JoinState, text: string, partial: boolean, cr: RecordioCr): string | undefined {
  if (partial) {
    j.outBuf = j.outBuf === null ? text : j.outBuf.length < MAX_LINE ? j.outBuf + text : j.outBuf;
    return undefined;
  }
  if (j.outBuf === null) return text;
  let line = j.outBuf.length < MAX_LINE ? j.outBuf + text : j.outBuf;
  if (cr === '' && text === '' && (line.endsWith('\r') || line.endsWith('?'))) line = line.slice(0, -1);
  j.outBuf = null;
  return line;
}

/** A complete client line into the dialogue. */
export function clientLine(s: MSession, time: number, line: ClientLine, maxItems: number): void {
  const e = clientEvent(s.st.mode, line);
  if (e !== undefined) onClient(s, time, e, maxItems);
}

/** One `rec_in` record. */
export function recordIn(s: MSession, time: number, text: string, partial: boolean, cr: RecordioCr, maxItems: number): void {
  const line = joinClient(s.st, text, partial, cr);
  if (line !== undefined) clientLine(s, time, line, maxItems);
}

/** One `rec_out` record; false when its complete line is no SMTP reply. */
export function recordOut(s: MSession, time: number, text: string, partial: boolean, cr: RecordioCr): boolean {
  const line = joinServer(s.st, text, partial, cr);
  if (line === undefined || s.st.mode === 'tls') return true;   // after STARTTLS: ciphertext
  const r = parseSmtpReply(line);
  if (r === undefined) return false;
  onReply(s, time, r);
  return true;
}

/** `P < [EOF]`: the client closed; a line it left unended still counts (in a body, its bytes). */
export function clientEof(s: MSession, time: number, maxItems: number): void {
  s.clientEof = time;
  const rest = clientRest(s.st);
  s.st.inBytes = 0;
  if (rest !== undefined) clientLine(s, time, rest, maxItems);
}
