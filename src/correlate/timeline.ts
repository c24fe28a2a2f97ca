// The per-message timeline: what the correlator builds and every sink renders.
// Plain data (the correlator's state is persisted as JSON between runs; it holds no ids).

import { msgId, type MsgId } from '../../parsers/ids.js';

export type DeliveryResult = 'success' | 'failure' | 'deferral' | 'interrupted';
export type Outcome = 'delivered' | 'failed' | 'deferred' | 'pending';
export type Channel = 'local' | 'remote';

export interface Delivery {
  run: number;                 // qmail-send run on this host (delivery ids restart with each run)
  did: number;
  channel: Channel;
  to: string;
  started: number | null;      // unix µs; null when the start line was never seen
  finished: number | null;
  result: DeliveryResult | null;
  reason: string | null;       // decoded report text
  smtpCode: number | null;
  dsn: string | null;
  remoteIp: string | null;
  tooLong: boolean;
  forwardQp: number | null;    // .qmail forward: the copy's qp
  rcpt: number;                // index of its recipient in Timeline.recipients
}

export interface Recipient {
  to: string;
  channel: Channel;
  outcome: Outcome;
  attempts: number;
  last: number;                // index in deliveries of its latest attempt
}

export interface Timeline {
  dup: number;                 // the key's #n (0: none): another message had this id in this stamp
  host: string;
  msg: MsgId;
  firstSeen: number;           // µs of the first line seen for it
  queued: number | null;       // µs of `new msg` (null: born before the log starts)
  info: number | null;         // µs of its `info msg` line
  ended: number | null;        // µs of `end msg`
  partial: boolean;            // its start was not in the logs read
  lost: boolean;               // its id was reused without an `end msg`
  bytes: number | null;
  from: string | null;
  qp: number | null;
  uid: number | null;
  bounceQp: number | null;     // `bounce msg N qp Q`
  tripleBounce: boolean;
  deliveries: Delivery[];
  recipients: Recipient[];
}

/** A message's public id, host:first-seen-µs:msg[#dup]: stable across reruns, in time order. */
export function messageKey(host: string, first: number, msg: MsgId, dup: number): string {
  return `${host}:${first}:${msg}${dup > 0 ? `#${dup}` : ''}`;
}

/** A message's public id in its parts. */
export interface KeyParts { readonly host: string; readonly first: number; readonly msg: MsgId; readonly dup: number }

/** A public id back into its parts (the host may hold colons: the last two fields are numbers). */
export function parseKey(key: string): KeyParts | undefined {
  const m = /^(.*):(-?\d+):(\d+)(?:#(\d+))?$/.exec(key);
  if (m === null) return undefined;
  const first = Number(m[2]);
  if (!Number.isSafeInteger(first)) return undefined;
  return { host: m[1]!, first, msg: msgId(m[3]!), dup: m[4] === undefined ? 0 : Number(m[4]) };
}

/**
 * A timeline's key, derived from the fields it names, so that it cannot drift from `dup`. Only
 * links, snapshots and printers ask for one. Kept on every open timeline it was a 150-byte string
 * a message; dropping it made no measurable difference to the ×10 bench's wall time.
 */
export function keyOf(t: Pick<Timeline, 'host' | 'firstSeen' | 'msg' | 'dup'>): string {
  return messageKey(t.host, t.firstSeen, t.msg, t.dup);
}

export function newTimeline(host: string, msg: MsgId, at: number, partial: boolean): Timeline {
  return {
    dup: 0, host, msg, firstSeen: at, queued: partial ? null : at, info: null, ended: null,
    partial, lost: false, bytes: null, from: null, qp: null, uid: null, bounceQp: null,
    tripleBounce: false, deliveries: [], recipients: [],
  };
}

const OUTCOME: Readonly<Record<DeliveryResult, Outcome>> = {
  success: 'delivered', failure: 'failed', deferral: 'deferred', interrupted: 'deferred',
};

/**
 * Recipients from the attempts, in order. A start for an address whose latest attempt is final
 * (delivered/failed) or still running is a second recipient of that address (qmail delivers a
 * duplicated RCPT twice); otherwise it is a retry of the same recipient.
 */
export function recipientsOf(deliveries: readonly Delivery[]): Recipient[] {
  // also sets each delivery's `rcpt`
  const out: Recipient[] = [];
  for (let i = 0; i < deliveries.length; i++) {
    const d = deliveries[i]!;
    const outcome: Outcome = d.result === null ? 'pending' : OUTCOME[d.result];
    let r = -1;
    for (let j = out.length - 1; j >= 0; j--) {
      const c = out[j]!;
      if (c.to === d.to && c.channel === d.channel) {
        if (c.outcome === 'deferred') r = j;
        break;
      }
    }
    if (r < 0) {
      d.rcpt = out.length;
      out.push({ to: d.to, channel: d.channel, outcome, attempts: 1, last: i });
    } else {
      const c = out[r]!;
      c.outcome = outcome; c.attempts++; c.last = i;
      d.rcpt = r;
    }
  }
  return out.length === 1 ? [out[0]!] : out; // most messages: one recipient, in an array without spare slots
}
