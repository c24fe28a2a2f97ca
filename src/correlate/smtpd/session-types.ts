// The public shape of an SMTP session: what the correlator hands to the store and the views.
// Plain data (JSON round-trips unchanged).

import type { SmtpdAddonEvent, SmtpdEvent } from '../../../parsers/smtpd-events.js';
import type { ReplyReason } from '../../../parsers/smtp-dialogue.js';

export interface SessionReply {
  readonly code: number;
  readonly text: string;                      // first line of a multi-line reply
  readonly reason: ReplyReason | string | null;
}

export interface RcptRecord {
  readonly time: number;
  readonly addr: string;
  readonly accepted: boolean | null;           // null: no reply seen
  readonly code: number | null;
  readonly text: string | null;
  readonly reason: ReplyReason | string | null; // why it was refused: rcpthosts, chkuser, badrcptto, …
}

export type DataResult = 'queued' | 'refused' | 'tempfail' | 'dropped' | 'unknown';

export interface DataRecord {
  readonly time: number;                       // the DATA command
  readonly goAhead: boolean;                   // 354 seen
  readonly bodyBytes: number;                  // bytes between 354 and the lone '.', lines counted with CRLF
  readonly bodyLines: number;
  readonly end: number | null;                 // final reply (or last body line when dropped)
  readonly code: number | null;                // final reply, or the refusal of DATA itself
  readonly text: string | null;
  readonly reason: ReplyReason | string | null;
  readonly qp: number | null;                  // `250 ok T qp Q`
  readonly acceptedAt: number | null;          // T, unix seconds
  readonly result: DataResult;
}

export interface Transaction {
  readonly start: number;
  readonly mailFrom: string | null;            // null: RCPT/DATA seen without MAIL (add-on data)
  readonly mailAccepted: boolean | null;
  readonly mailReply: SessionReply | null;
  readonly rcpts: readonly RcptRecord[];
  readonly data: readonly DataRecord[];
  readonly endedBy: 'rset' | 'mail' | 'helo' | 'quit' | 'close' | null;
}

export interface OtherCommand {
  readonly time: number;
  readonly verb: string;                       // NOOP, VRFY, HELP, OTHER, or RCPT/DATA outside a transaction
  readonly word: string;
  readonly code: number | null;
}

export interface AddonRecord { readonly time: number; readonly event: SmtpdAddonEvent }

export interface Session {
  readonly host: string;
  readonly stream: string;
  readonly pid: number;
  readonly start: number;                      // unix µs: `pid P` line (or the first line seen for P)
  readonly end: number | null;                 // unix µs: `end P` line
  readonly lastSeen: number;
  readonly open: boolean;                      // not closed by `end` (end of input, eviction, pid reuse)
  readonly startSeen: boolean;                 // tcpserver pid/ok/deny line seen
  readonly endSeen: boolean;
  readonly client: { readonly ip: string | null; readonly port: number | null; readonly host: string | null;
    readonly info: string | null };
  readonly local: { readonly ip: string | null; readonly port: number | null; readonly host: string | null };
  readonly tcp: 'ok' | 'deny' | null;
  readonly exit: { readonly status: number; readonly code: number | null; readonly signal: number | null } | null;
  readonly rbl: { readonly code: number; readonly text: string } | null;
  readonly dialogue: boolean;                  // recordio records seen: the SMTP dialogue is known
  readonly greeting: SessionReply | null;
  readonly helo: { readonly verb: 'HELO' | 'EHLO'; readonly arg: string } | null;
  readonly auth: { readonly mechanism: string | null; readonly user: string | null; readonly ok: boolean | null } | null;
  readonly tls: boolean;                       // STARTTLS accepted (the dialogue after it is not readable)
  readonly quit: boolean;
  readonly clientEof: number | null;
  readonly serverEof: number | null;
  readonly unsolicited: SessionReply | null;   // a reply no command asked for (e.g. 451 timeout)
  readonly transactions: readonly Transaction[];
  readonly otherCommands: readonly OtherCommand[];
  readonly addons: readonly AddonRecord[];
  readonly queueWrapper: string | null;        // 'simscan' when its line shows a QMAILQUEUE wrapper
  readonly queued: boolean | null;             // null: cannot tell from the logs
  readonly verdict: string;
  readonly refused: boolean;                   // the logs show the client was turned away (see verdict.ts)
  readonly truncated: number;                  // entries dropped by the per-session caps
  readonly seam?: SeamEvents;                  // begun without its start: its events (not shown)
}

/** The events of a session that began without tcpserver's line, kept so that older history read
 *  later can replay them into the session they continue (see stitch.ts). */
export interface SeamEvents { readonly events: Array<[number, SmtpdEvent]>; complete: boolean }

export interface SessionCorrelatorOptions {
  /** Records for a pid within this long after its `end` still join that session (µs). */
  readonly graceUs?: number;
  /** A session with no event for this long is closed as open (µs); qmail-smtpd's own timeout is 1200 s. */
  readonly idleUs?: number;
  /** Open sessions kept at most; the longest idle is closed as open beyond it. */
  readonly maxOpen?: number;
  /** Caps on list lengths inside one session. */
  readonly maxItems?: number;
}

export interface SessionStats {
  readonly events: number;
  readonly opened: number;
  readonly closed: number;
  readonly evicted: number;                    // closed by maxOpen or idleUs
  readonly reused: number;                     // pid seen again before its `end`
  readonly orphanAddons: number;               // add-on lines no session could take
  readonly badRecords: number;                 // recordio replies that were no SMTP reply
}

/** A session taken out of a correlator, as plain data, with how it stands now. */
export interface HandedSession { readonly s: unknown; readonly closing: { key: string; deadline: number } | null; readonly now: Session }
