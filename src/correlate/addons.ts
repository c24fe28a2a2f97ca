// The add-ons of issue 12 (vpopmail's vchkpw, Plesk's handlers and filters, qmail-scanner): their
// events → plain records for the store, fed log time only. What links here is what the logs tie
// at the moment of the line: a filter line to the handler line after it in the same second, a
// queue handler's from=/to= to its REJECT (one qmail-queue run per pid), an SMTP-side auth or a
// scan verdict to the session open from that IP (by IP and time: inferred). Messages are found by
// qp at query time (src/query/addons.ts): the queue handler logs before qmail-send's `info msg`.

import type { PleskEvent, PleskStage } from '../../parsers/plesk.js';
import type { ScanEvent } from '../../parsers/qmail-scanner.js';
import type { VchkpwEvent } from '../../parsers/vchkpw.js';

/** The SMTP session a record belongs to, as the sessions correlator names it. */
export interface SessionRef { readonly host: string; readonly stream: string; readonly pid: number; readonly start: number }

/** The sessions correlator's answer to "which session is open from this IP on this host now?". */
export type OpenFrom = (host: string, ip: string, at: number) => SessionRef | undefined;

export interface AuthRecord {
  readonly at: number;
  readonly host: string;
  readonly service: string;
  readonly protocol: string | null;
  readonly port: number | null;
  readonly login: string;
  readonly user: string;
  readonly domain: string;
  readonly ip: string;
  readonly mechanism: string | null;
  readonly outcome: string;
  readonly pid: number | null;
  readonly session: SessionRef | null;
}

export interface FilterLine { readonly at: number; readonly program: string; readonly pid: number | null; readonly kind: string; readonly text: string }

export interface HandlerRecord {
  readonly at: number;
  readonly host: string;
  /** queue | local | remote; null for a filter line no handler line followed in its second. */
  readonly stage: PleskStage | null;
  readonly program: string;
  readonly pid: number | null;
  readonly qp: number | null;
  readonly kind: string;
  readonly addr: string | null;        // from= / to=
  readonly verdict: string | null;     // REJECT, DEFER, PASS…
  readonly handler: string | null;     // the handler named by `… during call 'grey' handler`
  readonly text: string;               // the rest, as logged (mailbox path, timeout text…)
  readonly filters: readonly FilterLine[];
}

/** A message a queue handler refused: qmail-queue exited without queueing it. */
export interface Refusal {
  readonly at: number;
  readonly host: string;
  readonly qp: number | null;
  readonly program: string;
  readonly handler: string;
  readonly verdict: string;            // REJECT | DEFER
  readonly sender: string | null;
  readonly recipients: readonly string[];
}

/** A scan verdict as the scanner logged it (its fields as parsed), placed in time and on a session. */
export interface ScanRecord extends Pick<ScanEvent, 'verdict' | 'word' | 'reason' | 'tag' | 'ip' | 'spam' | 'score' | 'required'
  | 'elapsed' | 'bytes' | 'sender' | 'recipients' | 'subject' | 'messageId'> {
  readonly at: number;
  readonly host: string;
  readonly pid: number | null;
  /** Inferred: the session open from the scanner's RC IP then (its pid is not the session's). */
  readonly session: SessionRef | null;
}

export interface AddonOutput {
  readonly auth: readonly AuthRecord[];
  readonly handlers: readonly HandlerRecord[];
  readonly refusals: readonly Refusal[];
  readonly scans: readonly ScanRecord[];
}

interface QueueRun { at: number; from: string | null; to: string[] }
interface PendingFilter { second: number; lines: FilterLine[] }

export interface AddonSnapshot {
  readonly v: 1;
  readonly runs: ReadonlyArray<readonly [string, QueueRun]>;
  readonly filters: ReadonlyArray<readonly [string, PendingFilter]>;
}

/** A qmail-queue run's from=/to= are kept this long for its verdict (pids wrap). */
const RUN_US = 60 * 1_000_000;
const MAX_RCPTS = 1000;
const SMTP_SIDE = new Set(['smtp', 'smtps', 'submission']);

export class AddonCorrelator {
  readonly #openFrom: OpenFrom;
  #auth: AuthRecord[] = [];
  #handlers: HandlerRecord[] = [];
  #refusals: Refusal[] = [];
  #scans: ScanRecord[] = [];
  #runs = new Map<string, QueueRun>();          // host \0 qp → the queue run's addresses
  #filters = new Map<string, PendingFilter>();  // host → filter lines awaiting their handler line
  #sweepAt = Number.NEGATIVE_INFINITY;

  constructor(openFrom: OpenFrom, snap?: AddonSnapshot) {
    this.#openFrom = openFrom;
    if (snap !== undefined && snap.v === 1) {
      this.#runs = new Map(snap.runs.map(([k, r]) => [k, { at: r.at, from: r.from, to: [...r.to] }]));
      this.#filters = new Map(snap.filters.map(([k, f]) => [k, { second: f.second, lines: [...f.lines] }]));
    }
  }

  /** `pid`: vchkpw's own (the syslog [PID]), a child of qmail-popup or qmail-smtpd: no link by it. */
  pushAuth(at: number, host: string, ev: VchkpwEvent, pid: number | null): void {
    const smtp = ev.protocol === 'smtp' || SMTP_SIDE.has(ev.service);
    const s = smtp && ev.ip !== '' ? this.#openFrom(host, ev.ip, at) : undefined;
    this.#auth.push({
      at, host, service: ev.service, protocol: ev.protocol, port: ev.port, login: ev.login, user: ev.user,
      domain: ev.domain, ip: ev.ip, mechanism: ev.mechanism, outcome: ev.outcome, pid, session: s ?? null,
    });
  }

  pushPlesk(at: number, host: string, ev: PleskEvent): void {
    this.#sweep(at);
    const second = Math.floor(at / 1_000_000);
    if (!('stage' in ev)) {
      const line: FilterLine = { at, program: ev.program, pid: ev.pid, kind: ev.kind, text: filterText(ev) };
      const p = this.#filters.get(host);
      if (p !== undefined && p.second === second) p.lines.push(line);
      else {
        if (p !== undefined) this.#flushFilters(host, p);
        this.#filters.set(host, { second, lines: [line] });
      }
      return;
    }
    let filters: FilterLine[] = [];
    const p = this.#filters.get(host);
    if (p !== undefined) {
      this.#filters.delete(host);
      if (p.second === second) filters = p.lines; else this.#flushFilters(host, p);
    }
    const rec = handlerRecord(at, host, ev, filters);
    this.#handlers.push(rec);
    if (ev.stage !== 'queue' || ev.qp === null) return;
    const key = `${host}\u0000${ev.qp}`;
    let run = this.#runs.get(key);
    if (run === undefined || at - run.at > RUN_US || ev.kind === 'plesk_start') {
      run = { at, from: null, to: [] };
      this.#runs.set(key, run);
    }
    if (ev.kind === 'plesk_from') run.from = ev.addr;
    else if (ev.kind === 'plesk_to') { if (run.to.length < MAX_RCPTS) run.to.push(ev.addr); }
    else if (ev.kind === 'plesk_verdict' && (ev.verdict === 'REJECT' || ev.verdict === 'DEFER')) {
      this.#refusals.push({ at, host, qp: ev.qp, program: ev.program, handler: ev.handler, verdict: ev.verdict,
        sender: run.from, recipients: run.to.slice() });
      this.#runs.delete(key);
    }
  }

  pushScan(at: number, host: string, ev: ScanEvent): void {
    const s = ev.ip === null ? undefined : this.#openFrom(host, ev.ip, at);
    this.#scans.push({
      at, host, pid: ev.pid, verdict: ev.verdict, word: ev.word, reason: ev.reason, tag: ev.tag, ip: ev.ip,
      spam: ev.spam, score: ev.score, required: ev.required, elapsed: ev.elapsed, bytes: ev.bytes, sender: ev.sender,
      recipients: ev.recipients, subject: ev.subject, messageId: ev.messageId, session: s ?? null,
    });
  }

  /** What was decided since the last drain; `final`: the end of the input (pending filters stand alone). */
  drain(final: boolean): AddonOutput {
    if (final) {
      for (const [host, p] of this.#filters) this.#flushFilters(host, p);
      this.#filters.clear();
    }
    const out = { auth: this.#auth, handlers: this.#handlers, refusals: this.#refusals, scans: this.#scans };
    this.#auth = []; this.#handlers = []; this.#refusals = []; this.#scans = [];
    return out;
  }

  snapshot(): AddonSnapshot {
    return {
      v: 1,
      runs: [...this.#runs].map(([k, r]) => [k, { at: r.at, from: r.from, to: r.to.slice() }] as const),
      filters: [...this.#filters].map(([k, f]) => [k, { second: f.second, lines: f.lines.slice() }] as const),
    };
  }

  static restore(openFrom: OpenFrom, snap: unknown): AddonCorrelator {
    const s = snap as AddonSnapshot | undefined;
    return new AddonCorrelator(openFrom, s !== undefined && s !== null && s.v === 1 ? s : undefined);
  }

  #flushFilters(host: string, p: PendingFilter): void {
    for (const l of p.lines) {
      this.#handlers.push({ at: l.at, host, stage: null, program: l.program, pid: l.pid, qp: null, kind: l.kind,
        addr: null, verdict: null, handler: null, text: l.text, filters: [] });
    }
  }

  #sweep(at: number): void {
    if (at < this.#sweepAt) return;
    this.#sweepAt = at + RUN_US;
    for (const [k, r] of this.#runs) if (at - r.at > RUN_US) this.#runs.delete(k);
  }
}

function filterText(ev: PleskEvent): string {
  switch (ev.kind) {
    case 'plesk_filter_start': return `starting ${ev.filter} filter`;
    case 'plesk_grey_match': return `list type: ${ev.list}, from: ${ev.from}, match string: ${ev.match}`;
    case 'plesk_spf_status': return `SPF status ${ev.status}`;
    case 'plesk_sendmail': return ev.text;
    default: return ev.kind;
  }
}

function handlerRecord(at: number, host: string, ev: PleskEvent & { stage: PleskStage }, filters: FilterLine[]): HandlerRecord {
  const base = { at, host, stage: ev.stage, program: ev.program, pid: ev.pid, qp: ev.qp, kind: ev.kind, filters };
  switch (ev.kind) {
    case 'plesk_from': case 'plesk_to': return { ...base, addr: ev.addr, verdict: null, handler: null, text: '' };
    case 'plesk_stderr': return { ...base, addr: null, verdict: ev.verdict, handler: null, text: '' };
    case 'plesk_verdict': return { ...base, addr: null, verdict: ev.verdict, handler: ev.handler, text: '' };
    case 'plesk_handler_error': return { ...base, addr: null, verdict: 'error', handler: ev.handler, text: '' };
    case 'plesk_fork_status': return { ...base, addr: null, verdict: null, handler: null, text: `unrecognized status code '${ev.code}'` };
    case 'plesk_mailbox': return { ...base, addr: null, verdict: null, handler: null, text: ev.path };
    case 'plesk_smtpd_timeout': return { ...base, addr: null, verdict: null, handler: null, text: ev.text };
    case 'plesk_submitter': return { ...base, addr: null, verdict: null, handler: null, text: `${ev.how} ${ev.child}` };
    case 'plesk_start': return { ...base, addr: null, verdict: null, handler: null, text: `handlers before-${ev.stage} started` };
    case 'plesk_aborted': return { ...base, addr: null, verdict: null, handler: null, text: 'message aborted' };
    default: return { ...base, addr: null, verdict: null, handler: null, text: '' };
  }
}
