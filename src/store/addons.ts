// Writes the add-on records (src/correlate/addons.ts) as they are: statements prepared once, the
// caller holds the commit's transaction. The store decides nothing.

import type { AddonOutput, SessionRef } from '../correlate/addons.js';
import type { Db } from './db.js';
import { sessionKey } from './writer.js';

function key(s: SessionRef | null): string | null { return s === null ? null : sessionKey(s); }

export class AddonWriter {
  readonly #auth;
  readonly #handler;
  readonly #refusal;
  readonly #scan;
  readonly #segment: number;

  constructor(db: Db, segment = 0) {
    this.#segment = segment;
    this.#auth = db.prepare(`INSERT INTO auth_events (host, at_us, service, protocol, port, login, user, domain, ip,
      mechanism, outcome, pid, session_key, segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#handler = db.prepare(`INSERT INTO handler_lines (host, at_us, stage, program, pid, qp, kind, addr, verdict,
      handler, text, filters, segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#refusal = db.prepare(`INSERT INTO refusals (host, at_us, qp, program, handler, verdict, sender, recipients,
      segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#scan = db.prepare(`INSERT INTO scan_verdicts (host, at_us, pid, verdict, word, reason, tag, ip, spam, score,
      required, elapsed, bytes, sender, recipients, subject, message_id, session_key, segment)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  write(o: AddonOutput): void {
    const seg = this.#segment;
    for (const a of o.auth) {
      this.#auth.run(a.host, a.at, a.service, a.protocol, a.port, a.login, a.user, a.domain, a.ip, a.mechanism,
        a.outcome, a.pid, key(a.session), seg);
    }
    for (const h of o.handlers) {
      this.#handler.run(h.host, h.at, h.stage, h.program, h.pid, h.qp, h.kind, h.addr, h.verdict, h.handler, h.text,
        h.filters.length === 0 ? null : JSON.stringify(h.filters), seg);
    }
    for (const r of o.refusals) {
      this.#refusal.run(r.host, r.at, r.qp, r.program, r.handler, r.verdict, r.sender, JSON.stringify(r.recipients), seg);
    }
    for (const s of o.scans) {
      this.#scan.run(s.host, s.at, s.pid, s.verdict, s.word, s.reason, s.tag, s.ip, s.spam === null ? null : s.spam ? 1 : 0,
        s.score, s.required, s.elapsed, s.bytes, s.sender, JSON.stringify(s.recipients), s.subject, s.messageId,
        key(s.session), seg);
    }
  }
}
