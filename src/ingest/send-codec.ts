// qmail-send's events for the reader thread's channel (event-channel.ts): nearly every line of a
// busy log, so they go as numbers and interned strings rather than cloned objects. Reports repeat
// (the ×10 bench: 3,638 distinct in 271,900): each goes once as its raw text, which this side
// decodes through parseReport as the parser would have, and then as its number.

import type { Report, SendEvent, SendEventKind } from '../../parsers/events.js';
import { flatCopy } from '../../parsers/flat.js';
import { parseReport } from '../../parsers/report.js';
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
  return { encode: (ev, w) => encode(ev, w, report), decode: (r) => decode(r, reportOf) };
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

function decode(r: CodecReader, reportOf: (r: CodecReader) => { raw: string; report: Report }): SendEvent {
  const kind = KINDS[r.num()]!;
  switch (kind) {
    case 'new_msg': case 'end_msg': case 'triple_bounce': case 'double_bounce_discard':
      return { kind, msg: r.id() };
    case 'info_msg':
      return { kind, msg: r.id(), bytes: r.num(), from: r.str(), qp: r.num(), uid: r.num() };
    case 'delivery_start':
      return { kind, did: r.num(), msg: r.id(), channel: CHANNELS[r.num()]!, to: r.str() };
    case 'delivery_result': {
      const did = r.num();
      const result = RESULTS[r.num()]!;
      const { raw, report } = reportOf(r);
      return { kind, did, result, reportRaw: raw, report };
    }
    case 'delivery_mangled':
      return { kind, did: r.num() };
    case 'bounce_msg':
      return { kind, msg: r.id(), qp: r.num() };
    case 'status':
      return { kind, local: r.num(), localMax: r.num(), remote: r.num(), remoteMax: r.num(), exitasap: r.num() === 1 };
    case 'status_exiting':
      return { kind };
    case 'daemon': case 'warning': case 'alert':
      return { kind, text: r.text() };
    case 'dispatch':
      return { kind, channel: CHANNELS[r.num()]!, from: r.str(), to: r.str(), bytes: r.num() };
  }
}
