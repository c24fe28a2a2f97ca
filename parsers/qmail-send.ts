// qmail-send's line shapes (notqmail qmail-send.c; formats.md §1), declared as data in the
// lnav manner: a name, an anchored pattern, a builder, and real samples checked by the tests.

import type { SendEvent } from './events.js';
import { msgId, type MsgId } from './ids.js';
import { parseReport } from './report.js';
import { fastSend } from './qmail-send-fast.js';

export interface LineFormat<E> {
  readonly name: string;
  readonly pattern: RegExp;
  readonly build: (m: RegExpExecArray) => E;
  readonly samples: readonly string[];
}

const n = (s: string | undefined): number => Number(s);
const id = (s: string | undefined): MsgId => msgId(s ?? '');

// indimail's multi-queue appends " queueK"; accepted and ignored (ids are then per queue).
const Q = '(?: queue\\d+)?';

export const SEND_FORMATS: readonly LineFormat<SendEvent>[] = [
  {
    name: 'send.new_msg',
    pattern: new RegExp(`^new msg (\\d+)${Q}$`),
    build: (m) => ({ kind: 'new_msg', msg: id(m[1]) }),
    samples: ['new msg 1442657'],
  },
  {
    name: 'send.info_msg',
    pattern: new RegExp(`^info msg (\\d+): bytes (\\d+) from <(.*)> qp (\\d+) uid (\\d+)${Q}$`),
    build: (m) => ({ kind: 'info_msg', msg: id(m[1]), bytes: n(m[2]), from: m[3]!, qp: n(m[4]), uid: n(m[5]) }),
    samples: ['info msg 1442657: bytes 396 from <ok-sender1@r2.remote.test> qp 9188 uid 1002',
      'info msg 1442740: bytes 2186 from <> qp 13684 uid 1007'],
  },
  {
    name: 'send.delivery_start',
    pattern: new RegExp(`^starting delivery (\\d+)(?:\\.\\d+)?: msg (\\d+) to (local|remote) (.*?)${Q}$`),
    build: (m) => ({ kind: 'delivery_start', did: n(m[1]), msg: id(m[2]), channel: m[3] as 'local' | 'remote', to: m[4]! }),
    samples: ['starting delivery 1: msg 1442657 to local tammy@mx.example.test',
      'starting delivery 18: msg 1442677 to remote ok-snd-b1-013@r2.remote.test'],
  },
  {
    name: 'send.delivery_result',
    pattern: new RegExp(`^delivery (\\d+)(?:\\.\\d+)?: (success|failure|deferral): (.*?)${Q}$`),
    build: (m) => ({ kind: 'delivery_result', did: n(m[1]), result: m[2] as 'success' | 'failure' | 'deferral',
      reportRaw: m[3]!, report: parseReport(m[3]!) }),
    samples: ['delivery 1: success: did_1+0+0/',
      'delivery 13: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/',
      'delivery 12: deferral: Sorry,_I_wasn\'t_able_to_establish_an_SMTP_connection._(#4.4.1)/'],
  },
  {
    name: 'send.delivery_mangled',
    pattern: /^delivery (\d+): report mangled, will defer$/,
    build: (m) => ({ kind: 'delivery_mangled', did: n(m[1]) }),
    samples: ['delivery 7: report mangled, will defer'],
  },
  {
    name: 'send.bounce_msg',
    pattern: new RegExp(`^bounce msg (\\d+) qp (\\d+)${Q}$`),
    build: (m) => ({ kind: 'bounce_msg', msg: id(m[1]), qp: n(m[2]) }),
    samples: ['bounce msg 1442740 qp 13684'],
  },
  {
    name: 'send.triple_bounce',
    pattern: new RegExp(`^triple bounce: discarding bounce/(\\d+)${Q}$`),
    build: (m) => ({ kind: 'triple_bounce', msg: id(m[1]) }),
    samples: ['triple bounce: discarding bounce/1442659'],
  },
  {
    name: 'send.double_bounce_discard',
    pattern: new RegExp(`^double bounce: discarding bounce/(\\d+)${Q}$`),
    build: (m) => ({ kind: 'double_bounce_discard', msg: id(m[1]) }),
    samples: ['double bounce: discarding bounce/1442659'],
  },
  {
    name: 'send.end_msg',
    pattern: new RegExp(`^end msg (\\d+)${Q}$`),
    build: (m) => ({ kind: 'end_msg', msg: id(m[1]) }),
    samples: ['end msg 1442657'],
  },
  {
    name: 'send.status',
    pattern: new RegExp(`^status: local (\\d+)/(\\d+) remote (\\d+)/(\\d+)( exitasap)?${Q}$`),
    build: (m) => ({ kind: 'status', local: n(m[1]), localMax: n(m[2]), remote: n(m[3]), remoteMax: n(m[4]),
      exitasap: m[5] !== undefined }),
    samples: ['status: local 0/10 remote 0/20', 'status: local 1/10 remote 0/20 exitasap'],
  },
  {
    name: 'send.status_exiting',
    pattern: new RegExp(`^status: exiting${Q}$`),
    build: () => ({ kind: 'status_exiting' }),
    samples: ['status: exiting'],
  },
  {
    name: 'send.daemon',
    pattern: /^qmail-daemon: (.*)$/s,
    build: (m) => ({ kind: 'daemon', text: m[1]! }),
    samples: ['qmail-daemon: pid 187, queue /var/indimail/queue/queue1 started'],
  },
  {
    name: 'send.dispatch',
    pattern: new RegExp(`^(local|remote): (\\S*) (\\S+) (\\d+)${Q}$`),
    build: (m) => ({ kind: 'dispatch', channel: m[1] as 'local' | 'remote', from: m[2]!, to: m[3]!, bytes: n(m[4]) }),
    samples: ['local: root@indimail.org postmaster@example.com 814 queue5', 'remote: a@b.example c@d.example 1200'],
  },
  {
    name: 'send.warning',
    pattern: /^warning: (.*)$/s,
    build: (m) => ({ kind: 'warning', text: m[1]! }),
    samples: ['warning: unable to stat mess/5/706430'],
  },
  {
    name: 'send.alert',
    pattern: /^alert: (.*)$/s,
    build: (m) => ({ kind: 'alert', text: m[1]! }),
    samples: ['alert: oh no! lost spawn connection! dying...'],
  },
];

// Dispatch on the first character: each line is tried against one to three patterns, not twelve.
const BY_FIRST = new Map<number, LineFormat<SendEvent>[]>();
for (const f of SEND_FORMATS) {
  const first = f.samples[0]!.charCodeAt(0);
  let list = BY_FIRST.get(first);
  if (list === undefined) BY_FIRST.set(first, (list = []));
  list.push(f);
}

const RX_QUEUE = / (queue\d+)$/;

/**
 * indimail runs one qmail-send per queue and suffixes every line with ` queueK`; message and
 * delivery ids are per queue. Returns that queue's name, or undefined (the common case, cheaply).
 */
export function queueOf(text: string): string | undefined {
  // back over the trailing digits by hand: most lines end in an id after a space, not in `queueK`
  let i = text.length - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i--;
  }
  if (i === text.length - 1 || i < 5 || text.charCodeAt(i) !== 101 /* e */) return undefined;
  return RX_QUEUE.exec(text)?.[1];
}

/** One line of qmail-send text (no stamp) → its event, or undefined if it is not a qmail-send line. */
export function parseSendText(text: string): SendEvent | undefined {
  const list = BY_FIRST.get(text.charCodeAt(0));
  if (list === undefined) return undefined;
  // Writers that pad lines (seen in public syslog copies) would otherwise defeat the anchors.
  const t = text.charCodeAt(text.length - 1) === 32 ? text.trimEnd() : text;
  const fast = fastSend(t);
  if (fast !== undefined) return fast;
  return bySend(list, t);
}

/** The formats' own answer: the definition fastSend is tested against. */
export function parseSendTextByFormats(text: string): SendEvent | undefined {
  const list = BY_FIRST.get(text.charCodeAt(0));
  if (list === undefined) return undefined;
  return bySend(list, text.charCodeAt(text.length - 1) === 32 ? text.trimEnd() : text);
}

function bySend(list: readonly LineFormat<SendEvent>[], t: string): SendEvent | undefined {
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    const m = f.pattern.exec(t);
    if (m !== null) return f.build(m);
  }
  return undefined;
}
