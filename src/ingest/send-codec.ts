// qmail-send's events for the reader thread's channel (event-channel.ts): nearly every line of a
// busy log, so they go as numbers and interned strings rather than cloned objects. Reports repeat
// (the ×10 bench: 3,638 distinct in 271,900): each goes once as its raw text, which this side
// decodes through parseReport as the parser would have, and then as its number. What decode
// returns is this end's one event of its kind, written over by the next (see EventCodec).

import type { Report, SendEvent, SendEventKind } from '../../parsers/events.js';
import { flatCopy } from '../../parsers/flat.js';
import { parseReport } from '../../parsers/report.js';
import type { MsgId } from '../../parsers/ids.js';
import type { CodecReader, CodecWriter, EventCodec } from './event-channel.js';

const KINDS: readonly SendEventKind[] = ['new_msg', 'info_msg', 'delivery_start', 'delivery_result', 'delivery_mangled',
  'bounce_msg', 'triple_bounce', 'double_bounce_discard', 'end_msg', 'status', 'status_exiting', 'daemon', 'dispatch',
  'warning', 'alert'];
const KIND = new Map(KINDS.map((k, i) => [k, i]));
const CHANNELS = ['local', 'remote'] as const;
const RESULTS = ['success', 'failure', 'deferral'] as const;

/** Reports either end keeps by number; past it both start again at 0 (the writer's next sends say so by defining each anew). */
const REPORTS_MAX = 4096;

/** A channel end's codec: the writer numbers the reports it has sent, the reader keeps them by number. */
export function sendCodec(reportsMax = REPORTS_MAX): EventCodec<SendEvent> {
  const sent = new Map<string, number>();
  const taken: Array<{ raw: string; report: Report }> = [];
  const report = (raw: string, w: CodecWriter): void => {
    const id = sent.get(raw);
    if (id !== undefined) { w.num(id); return; }
    if (sent.size >= reportsMax) sent.clear();
    const n = sent.size;
    sent.set(flatCopy(raw), n); // a slice of its line would keep the line alive
    w.num(-1 - n); w.text(raw); // a definition: its number, then the text
  };
  const reportOf = (r: CodecReader): { raw: string; report: Report } => {
    const n = r.num();
    if (n >= 0) return taken[n]!;
    const raw = r.text();
    const e = { raw, report: parseReport(raw) };
    taken[-1 - n] = e;
    return e;
  };
  const e = slots();
  return { encode: (ev, w) => encode(ev, w, report), decode: (r) => decode(r, reportOf, e) };
}

function encode(ev: SendEvent, w: CodecWriter, report: (raw: string, w: CodecWriter) => void): void {
  w.num(KIND.get(ev.kind)!);
  switch (ev.kind) {
    case 'new_msg': case 'end_msg': case 'triple_bounce': case 'double_bounce_discard':
      w.id(ev.msg); break;
    case 'info_msg':
      w.id(ev.msg); w.num(ev.bytes); w.str(ev.from); w.num(ev.qp); w.num(ev.uid); break;
    case 'delivery_start':
      w.num(ev.did); w.id(ev.msg); w.num(ev.channel === 'local' ? 0 : 1); w.str(ev.to); break;
    case 'delivery_result':
      w.num(ev.did); w.num(RESULTS.indexOf(ev.result)); report(ev.reportRaw, w); break;
    case 'delivery_mangled':
      w.num(ev.did); break;
    case 'bounce_msg':
      w.id(ev.msg); w.num(ev.qp); break;
    case 'status':
      w.num(ev.local); w.num(ev.localMax); w.num(ev.remote); w.num(ev.remoteMax); w.num(ev.exitasap ? 1 : 0); break;
    case 'status_exiting':
      break;
    case 'daemon': case 'warning': case 'alert':
      w.text(ev.text); break;
    case 'dispatch':
      w.num(ev.channel === 'local' ? 0 : 1); w.str(ev.from); w.str(ev.to); w.num(ev.bytes); break;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Slot<K extends SendEventKind> = Mutable<Extract<SendEvent, { kind: K }>>;

/**
 * One event of each kind, written over by each decode: a busy log's 1.8 million events no longer
 * allocate 180 MB on the main thread (the ×10 bench: −6 % of its CPU).
 */
function slots() {
  const msg = <K extends 'new_msg' | 'end_msg' | 'triple_bounce' | 'double_bounce_discard'>(kind: K) => ({ kind, msg: 0 as MsgId });
  const text = <K extends 'daemon' | 'warning' | 'alert'>(kind: K) => ({ kind, text: '' });
  return {
    new_msg: msg('new_msg'), end_msg: msg('end_msg'), triple_bounce: msg('triple_bounce'), double_bounce_discard: msg('double_bounce_discard'),
    info_msg: { kind: 'info_msg', msg: 0, bytes: 0, from: '', qp: 0, uid: 0 } as Slot<'info_msg'>,
    delivery_start: { kind: 'delivery_start', did: 0, msg: 0, channel: 'local', to: '' } as Slot<'delivery_start'>,
    delivery_result: { kind: 'delivery_result', did: 0, result: 'success', reportRaw: '', report: { text: '' } } as Slot<'delivery_result'>,
    delivery_mangled: { kind: 'delivery_mangled', did: 0 } as Slot<'delivery_mangled'>,
    bounce_msg: { kind: 'bounce_msg', msg: 0, qp: 0 } as Slot<'bounce_msg'>,
    status: { kind: 'status', local: 0, localMax: 0, remote: 0, remoteMax: 0, exitasap: false } as Slot<'status'>,
    status_exiting: { kind: 'status_exiting' } as Slot<'status_exiting'>,
    daemon: text('daemon'), warning: text('warning'), alert: text('alert'),
    dispatch: { kind: 'dispatch', channel: 'local', from: '', to: '', bytes: 0 } as Slot<'dispatch'>,
  };
}
type Slots = ReturnType<typeof slots>;

function decode(r: CodecReader, reportOf: (r: CodecReader) => { raw: string; report: Report }, e: Slots): SendEvent {
  const kind = KINDS[r.num()]!;
  switch (kind) {
    case 'new_msg': case 'end_msg': case 'triple_bounce': case 'double_bounce_discard': {
      const x = e[kind]; x.msg = r.id(); return x;
    }
    case 'info_msg': {
      const x = e.info_msg; x.msg = r.id(); x.bytes = r.num(); x.from = r.str(); x.qp = r.num(); x.uid = r.num(); return x;
    }
    case 'delivery_start': {
      const x = e.delivery_start; x.did = r.num(); x.msg = r.id(); x.channel = CHANNELS[r.num()]!; x.to = r.str(); return x;
    }
    case 'delivery_result': {
      const x = e.delivery_result; x.did = r.num(); x.result = RESULTS[r.num()]!;
      const { raw, report } = reportOf(r);
      x.reportRaw = raw; x.report = report;
      return x;
    }
    case 'delivery_mangled': {
      const x = e.delivery_mangled; x.did = r.num(); return x;
    }
    case 'bounce_msg': {
      const x = e.bounce_msg; x.msg = r.id(); x.qp = r.num(); return x;
    }
    case 'status': {
      const x = e.status; x.local = r.num(); x.localMax = r.num(); x.remote = r.num(); x.remoteMax = r.num(); x.exitasap = r.num() === 1;
      return x;
    }
    case 'status_exiting':
      return e.status_exiting;
    case 'daemon': case 'warning': case 'alert': {
      const x = e[kind]; x.text = r.text(); return x;
    }
    case 'dispatch': {
      const x = e.dispatch; x.channel = CHANNELS[r.num()]!; x.from = r.str(); x.to = r.str(); x.bytes = r.num(); return x;
    }
  }
}
