// A session while it lasts: mutable, plain data (the correlator's snapshot is JSON of these, and
// its shape is the stored `sessions:S` state, so fields are only added, never renamed).

import type { ReadingMode } from '../../../parsers/smtp-dialogue.js';
import type { JoinState } from './recordio-join.js';
import type { AddonRecord, DataRecord, RcptRecord, SeamEvents, SessionReply, Transaction } from './session-types.js';

/** The command a reply still owes an answer to (pipelining: a FIFO). */
export type PendingCmd = 'HELO' | 'EHLO' | 'MAIL' | 'RCPT' | 'DATA' | 'DATA_END' | 'RSET' | 'QUIT' | 'AUTH' | 'AUTH_DATA'
  | 'STARTTLS' | 'OTHER';
export interface Pending { c: PendingCmd; tx: number; i: number }

export type MData = { -readonly [K in keyof DataRecord]: DataRecord[K] };
export type MRcpt = { -readonly [K in keyof RcptRecord]: RcptRecord[K] };
export interface MTx {
  start: number; mailFrom: string | null; mailAccepted: boolean | null; mailReply: SessionReply | null;
  rcpts: MRcpt[]; data: MData[]; endedBy: Transaction['endedBy'];
}
export interface MOther { time: number; verb: string; word: string; code: number | null }

/** The dialogue's reading state; the recordio joiner's buffers live beside it (one object, as stored). */
export interface DialogueState {
  mode: ReadingMode;
  pending: Pending[];
  multi: SessionReply | null;                  // first line of a multi-line reply in progress
  tx: number;                                  // current transaction, -1 = none
  body: number;                                // data index in transactions[tx] being received
  authData: number;                            // AUTH client lines seen in the current exchange
  replies: number;                             // complete replies seen
}
export type ParseState = DialogueState & JoinState;

export interface MSession {
  host: string; stream: string; pid: number; start: number; end: number | null; lastSeen: number;
  open: boolean; startSeen: boolean; endSeen: boolean;
  client: { ip: string | null; port: number | null; host: string | null; info: string | null };
  local: { ip: string | null; port: number | null; host: string | null };
  tcp: 'ok' | 'deny' | null;
  exit: { status: number; code: number | null; signal: number | null } | null;
  rbl: { code: number; text: string } | null;
  dialogue: boolean; addonEnvelope: boolean;
  greeting: SessionReply | null; helo: { verb: 'HELO' | 'EHLO'; arg: string } | null;
  auth: { mechanism: string | null; user: string | null; ok: boolean | null } | null;
  tls: boolean; quit: boolean; clientEof: number | null; serverEof: number | null;
  unsolicited: SessionReply | null;
  transactions: MTx[]; otherCommands: MOther[]; addons: AddonRecord[];
  queueWrapper: string | null; truncated: number;
  st: ParseState;
  seam?: SeamEvents;                           // a session begun without its start: its events, for a seam
}

/** A closed session in its grace period; `key` is its legacy `host\0stream\0pid` (kept in snapshots). */
export interface Closing { key: string; deadline: number; s: MSession }

export function closingKey(host: string, stream: string, pid: number): string {
  return `${host}\u0000${stream}\u0000${pid}`;
}

export function newParseState(): ParseState {
  return { mode: 'cmd', inBuf: null, inBytes: 0, outBuf: null, pending: [], multi: null, tx: -1, body: -1, authData: 0, replies: 0 };
}

export function newSession(host: string, stream: string, pid: number, time: number, startSeen: boolean): MSession {
  return {
    host, stream, pid, start: time, end: null, lastSeen: time, open: true, startSeen, endSeen: false,
    client: { ip: null, port: null, host: null, info: null }, local: { ip: null, port: null, host: null },
    tcp: null, exit: null, rbl: null, dialogue: false, addonEnvelope: false, greeting: null, helo: null, auth: null,
    tls: false, quit: false, clientEof: null, serverEof: null, unsolicited: null,
    transactions: [], otherCommands: [], addons: [], queueWrapper: null, truncated: 0,
    st: newParseState(),
  };
}

/** Ends the current transaction (by RSET, HELO, a new MAIL, QUIT or the close), if any. */
export function closeTx(s: MSession, by: Transaction['endedBy']): void {
  const t = s.st.tx >= 0 ? s.transactions[s.st.tx] : undefined;
  if (t !== undefined && t.endedBy === null) t.endedBy = by;
  s.st.tx = -1;
}
