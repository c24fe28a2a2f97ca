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
import { channelSql, resultSql } from '../../store/rows.js';

export interface MatchupOptions {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly host?: string | undefined;
}

type Row = [id: number, first: number, queued: number | null, ended: number | null, lost: number, bytes: number | null,
  sender: string | null, qp: number | null, uid: number | null, info: number | null,
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
/** Pending lines, least (time, arrival) first. */
class LineHeap {
  readonly #at: number[] = [];
  readonly #n: number[] = [];
  readonly #line: string[] = [];
  #count = 0;
  get size(): number { return this.#at.length; }
  peekAt(): number { return this.#at[0]!; }
  #less(i: number, j: number): boolean {
    return this.#at[i]! < this.#at[j]! || (this.#at[i] === this.#at[j] && this.#n[i]! < this.#n[j]!);
  }
  #swap(i: number, j: number): void {
    [this.#at[i], this.#at[j]] = [this.#at[j]!, this.#at[i]!];
    [this.#n[i], this.#n[j]] = [this.#n[j]!, this.#n[i]!];
    [this.#line[i], this.#line[j]] = [this.#line[j]!, this.#line[i]!];
  }
  push(at: number, line: string): void {
    this.#at.push(at); this.#n.push(this.#count++); this.#line.push(line);
    for (let i = this.#at.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p); i = p;
    }
  }
  pop(): string {
    const top = this.#line[0]!;
    const last = this.#at.length - 1;
    this.#swap(0, last);
    this.#at.pop(); this.#n.pop(); this.#line.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < last && this.#less(l, m)) m = l;
      if (r < last && this.#less(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m); i = m;
    }
    return top;
  }
}

/**
 * The m and d lines, in the order matchup would print them, as a stream: messages come in order of
 * their first line and no line of a message is older than that, so a line can go out as soon as
 * a later message begins (memory: the lines of messages still open, not the whole output).
 */
export function* matchupLines(db: Db, o: MatchupOptions = {}): Generator<string> {
  const c = ['m.first_us >= @since', 'm.first_us < @until'];
  if (o.host !== undefined) c.push('m.host = @host');
  const rows = db.prepare(`SELECT m.id, m.first_us, m.first_us + m.queued_d, m.first_us + m.ended_d, m.lost, m.bytes, ms.address,
      m.qp, m.uid, m.first_us + m.info_d, d.seq, ${channelSql('d')}, da.address, m.first_us + d.started_d, m.first_us + d.finished_d,
      ${resultSql('d')}, dt.text
    FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id LEFT JOIN addresses ms ON ms.id = m.sender_id
      LEFT JOIN addresses da ON da.id = d.recipient_id LEFT JOIN texts dt ON dt.id = d.reason_id
    WHERE ${c.join(' AND ')} ORDER BY m.first_us, m.id, d.seq`).raw()
    .iterate({ since: o.since ?? -(2 ** 62), until: o.until ?? 2 ** 62, ...(o.host === undefined ? {} : { host: o.host }) }) as IterableIterator<Row>;

  const pending = new LineHeap();
  let cur = -1;
  let known = false, nk = 0, nd = 0, nz = 0;
  let head = { birth: '', bytes: 0, sender: '', qp: 0, uid: 0 };
  let endAt: number | null = null;
  const flush = (): void => {
    const h = head;
    if (endAt !== null) pending.push(endAt, `m ${h.birth} ${stamp(endAt)} ${h.bytes} ${nk} ${nd} ${nz} ${h.sender} ${h.qp} ${h.uid}`);
    endAt = null;
  };
  for (const r of rows) {
    const [id, first, queued, ended, lost, bytes, sender, qp, uid, info, seq, channel, recipient, started, finished, result, reason] = r;
    if (id !== cur) {
      flush();
      while (pending.size > 0 && pending.peekAt() < first) yield pending.pop();
      cur = id; nk = nd = nz = 0;
      known = queued !== null && bytes !== null && sender !== null; // matchup saw its `info msg`
      if (known) head = { birth: stamp(info ?? queued!), bytes: bytes!, sender: lower(`<${sender}>`), qp: qp ?? 0, uid: uid ?? 0 };
      if (known && ended !== null && lost === 0) endAt = ended;
    }
    if (seq === null || started === null || finished === null || result === null) continue;
    const letter = LETTER[result];
    if (letter === undefined) continue; // interrupted: no result line
    if (letter === 'k') nk++; else if (letter === 'd') nd++; else nz++;
    const rcpt = `${channel}.${lower(recipient ?? '')}`;
    const why = encodeReason(reason);
    const h = head;
    pending.push(finished, known
      ? `d ${letter} ${h.birth} ${stamp(started)} ${stamp(finished)} ${h.bytes} ${h.sender} ${rcpt} ${h.qp} ${h.uid} ${why}`
      : `d ${letter} ${stamp(started)} ${stamp(started)} ${stamp(finished)} 0 ? ${rcpt} ? ? ${why}`);
  }
  flush();
  while (pending.size > 0) yield pending.pop();
}
