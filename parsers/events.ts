// The typed events every parser produces. A parser maps one line of text (stamp and syslog
// prefix already removed by parsers/frame.ts) to one of these, or returns undefined when the
// line is not its shape. Events carry no time or host: the framing supplies those.

import type { MsgId } from './ids.js';
/** Parsed report text of a `delivery D: …` line (see parsers/report.ts). */
export interface Report {
  readonly text: string;          // decoded: '/' → newline, '_' → space (lossy)
  readonly smtpCode?: number;     // remote: the code after "Remote host said:"; local: none
  readonly dsn?: string;          // enhanced status from "(#x.y.z)"
  readonly ip?: string;           // remote host IP qmail-remote talked to
  readonly did?: { readonly files: number; readonly forwards: number; readonly programs: number };
  readonly forwardQp?: number;    // did_0+1+0/qp_Q/
  readonly remoteQp?: number;     // "250 ok T qp Q" said by a remote qmail
  readonly tooLong?: boolean;     // "…in the queue too long."
}

export type SendEvent =
  | { readonly kind: 'new_msg'; readonly msg: MsgId }
  | { readonly kind: 'info_msg'; readonly msg: MsgId; readonly bytes: number; readonly from: string;
      readonly qp: number; readonly uid: number }
  | { readonly kind: 'delivery_start'; readonly did: number; readonly msg: MsgId;
      readonly channel: 'local' | 'remote'; readonly to: string }
  | { readonly kind: 'delivery_result'; readonly did: number;
      readonly result: 'success' | 'failure' | 'deferral'; readonly reportRaw: string; readonly report: Report }
  | { readonly kind: 'delivery_mangled'; readonly did: number }
  | { readonly kind: 'bounce_msg'; readonly msg: MsgId; readonly qp: number }
  | { readonly kind: 'triple_bounce'; readonly msg: MsgId }
  | { readonly kind: 'double_bounce_discard'; readonly msg: MsgId }
  | { readonly kind: 'end_msg'; readonly msg: MsgId }
  | { readonly kind: 'status'; readonly local: number; readonly localMax: number; readonly remote: number;
      readonly remoteMax: number; readonly exitasap: boolean }
  | { readonly kind: 'status_exiting' }
  | { readonly kind: 'daemon'; readonly text: string }          // indimail qmail-daemon: …
  | { readonly kind: 'dispatch'; readonly channel: 'local' | 'remote'; readonly from: string; readonly to: string;
      readonly bytes: number }                                      // indimail `local: S R BYTES`
  | { readonly kind: 'warning'; readonly text: string }
  | { readonly kind: 'alert'; readonly text: string };

export type SendEventKind = SendEvent['kind'];
