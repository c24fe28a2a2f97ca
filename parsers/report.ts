// Delivery report TEXT (`delivery D: success|failure|deferral: TEXT`), as qmail-send's logsafe()
// wrote it: newline → '/', space and other unsafe bytes → '_'. Decoding is lossy by nature.

import type { Report } from './events.js';
import { flatCopy } from './flat.js';

const RX_CODE = /Remote_host_said:_([2-5]\d\d)[_\-/]/;
const RX_DSN = /\(#([2-5]\.\d{1,3}\.\d{1,3})\)/;
const RX_IP = /^(?:Connected_to_)?(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})_/;
const RX_DID = /did_(\d+)\+(\d+)\+(\d+)\/(?:qp_(\d+)\/)?/;
const RX_REMOTE_QP = /Remote_host_said:_250_ok_\d+_qp_(\d+)/;
const TOO_LONG = 'this_message_has_been_in_the_queue_too_long.';

/** '/' → newline, '_' → space; the trailing '/' (qmail-local ends every line with \n) dropped. */
export function decodeReportText(raw: string): string {
  const t = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  return t.replaceAll('_', ' ').replaceAll('/', '\n');
}

/**
 * Reports repeat (`did_1+0+0/`, a remote's same refusal): each is decoded once while it stays in
 * this bounded memo. Reports are read-only, so sharing one is safe; the key is a flat copy, so it
 * keeps no log line alive.
 */
const MEMO_MAX = 4096;
const memo = new Map<string, Report>();

export function parseReport(raw: string): Report {
  const known = memo.get(raw);
  if (known !== undefined) return known;
  const r = decode(raw);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(flatCopy(raw), r);
  return r;
}

function decode(raw: string): Report {
  const r: { -readonly [K in keyof Report]: Report[K] } = { text: decodeReportText(raw) };
  const code = RX_CODE.exec(raw);
  if (code !== null) r.smtpCode = Number(code[1]);
  const dsn = RX_DSN.exec(raw);
  if (dsn !== null) r.dsn = dsn[1]!;
  const ip = RX_IP.exec(raw);
  if (ip !== null) r.ip = flatCopy(ip[1]!); // a capture would keep its line alive
  const did = RX_DID.exec(raw);
  if (did !== null) {
    r.did = { files: Number(did[1]), forwards: Number(did[2]), programs: Number(did[3]) };
    if (did[4] !== undefined) r.forwardQp = Number(did[4]);
  }
  const rq = RX_REMOTE_QP.exec(raw);
  if (rq !== null) r.remoteQp = Number(rq[1]);
  if (raw.includes(TOO_LONG)) r.tooLong = true;
  return r;
}
