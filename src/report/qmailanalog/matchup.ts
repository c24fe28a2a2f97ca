// matchup's output (qmailanalog's `m` and `d` lines) rebuilt from the store, in log order, so the
// z-scripts and existing cron pipelines read qtrace's data as they read matchup's.
//
//   m BIRTH DONE BYTES NK ND NZ <sender> QP UID                       at `end msg`
//   d k|d|z BIRTH DSTART DDONE BYTES <sender> CHAN.RECIP QP UID REASON at each delivery result
//
// Where qtrace knows better it says so (docs/qmailanalog.md): BIRTH is qtrace's `new msg` time
// (matchup's is the `info msg` line just after it: the store keeps one), splogger-split lines are
// whole, a message whose id was reused before its end keeps its line. `?` lines (bounce msg,
// triple bounce) are not rebuilt: no z-script reads them.

import type { Db } from '../../store/db.js';

export interface MatchupOptions {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly host?: string | undefined;
}

type Row = [id: number, queued: number | null, ended: number | null, lost: number, bytes: number | null,
  sender: string | null, qp: number | null, uid: number | null,
  seq: number | null, channel: string | null, recipient: string | null, started: number | null, finished: number | null,
  result: string | null, reason: string | null];

/** matchup's stamp: seconds and six digits of microseconds (tai64nfrac/tai2dec, splogger). */
export function stamp(us: number): string {
  const s = Math.floor(us / 1e6);
  return `${s}.${String(us - s * 1e6).padStart(6, '0')}`;
}

/** case_lowers(): ASCII only. */
const lower = (s: string): string => s.replace(/[A-Z]+/g, (c) => c.toLowerCase());

/** The report as qmail-send logged it: the store's decoded text with '_' for blanks and '/' per line. */
export function encodeReason(reason: string | null): string {
  if (reason === null) return '';
  return reason.replaceAll(' ', '_').replaceAll('\n', '/') + '/';
}

const LETTER: Record<string, string> = { success: 'k', failure: 'd', deferral: 'z' };

/** The m and d lines, in the order matchup would print them. */
export function matchupLines(db: Db, o: MatchupOptions = {}): string[] {
  const c = ['m.first_us >= @since', 'm.first_us < @until'];
  if (o.host !== undefined) c.push('m.host = @host');
  const rows = db.prepare(`SELECT m.id, m.queued_us, m.ended_us, m.lost, m.bytes, m.sender, m.qp, m.uid,
      d.seq, d.channel, d.recipient, d.started_us, d.finished_us, d.result, d.reason
    FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id
    WHERE ${c.join(' AND ')} ORDER BY m.first_us, m.id, d.seq`).raw()
    .iterate({ since: o.since ?? -(2 ** 62), until: o.until ?? 2 ** 62, ...(o.host === undefined ? {} : { host: o.host }) }) as IterableIterator<Row>;

  // parallel arrays, sorted through an index: 450k small objects cost more in GC than the sort
  const lines: string[] = [];
  const ats: number[] = [];
  const push = (at: number, line: string): void => { ats.push(at); lines.push(line); };
  let cur = -1;
  let known = false, nk = 0, nd = 0, nz = 0;
  let head = { birth: '', bytes: 0, sender: '', qp: 0, uid: 0 };
  let endAt: number | null = null;
  const flush = (): void => {
    const h = head;
    if (endAt !== null) push(endAt, `m ${h.birth} ${stamp(endAt)} ${h.bytes} ${nk} ${nd} ${nz} ${h.sender} ${h.qp} ${h.uid}`);
    endAt = null;
  };
  for (const r of rows) {
    const [id, queued, ended, lost, bytes, sender, qp, uid, seq, channel, recipient, started, finished, result, reason] = r;
    if (id !== cur) {
      flush();
      cur = id; nk = nd = nz = 0;
      known = queued !== null && bytes !== null && sender !== null; // matchup saw its `info msg`
      if (known) head = { birth: stamp(queued!), bytes: bytes!, sender: lower(`<${sender}>`), qp: qp ?? 0, uid: uid ?? 0 };
      if (known && ended !== null && lost === 0) endAt = ended;
    }
    if (seq === null || started === null || finished === null || result === null) continue;
    const letter = LETTER[result];
    if (letter === undefined) continue; // interrupted: no result line
    if (letter === 'k') nk++; else if (letter === 'd') nd++; else nz++;
    const rcpt = `${channel}.${lower(recipient ?? '')}`;
    const why = encodeReason(reason);
    let line: string;
    if (known) {
      const h = head;
      line = `d ${letter} ${h.birth} ${stamp(started)} ${stamp(finished)} ${h.bytes} ${h.sender} ${rcpt} ${h.qp} ${h.uid} ${why}`;
    } else {
      line = `d ${letter} ${stamp(started)} ${stamp(started)} ${stamp(finished)} 0 ? ${rcpt} ? ? ${why}`;
    }
    push(finished, line);
  }
  flush();
  const order = Uint32Array.from(lines.keys()).sort((a, b) => ats[a]! - ats[b]! || a - b);
  return Array.from(order, (i) => lines[i]!);
}
