// Step 1: qmail-smtpd's rcpthosts check (rcpthosts.c), with morercpthosts.cdb and RELAYCLIENT.
import { Cdb, CdbError } from '../cdb.js';
import { ConstMap, asciiLower, decodeUtf8, encodeUtf8, isErr, readControlFile } from '../config.js';
import type { Mark, SmtpData, SmtpStep, SourceRef } from '../types.js';
import { Notes, crFindings, ctl, duplicateNote, markOf, ref, sys } from './shared.js';
import type { WalkContext } from './shared.js';

const REFUSED = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";

interface SmtpOut {
  readonly step: SmtpStep;
  /** The rcpthosts entry matched, for the route step's "accepted but not local" check. */
  readonly listed: boolean;
}

export function stepSmtp(ctx: WalkContext, input: string): SmtpOut {
  const notes = new Notes();
  const rcptPath = ctl(ctx, 'rcpthosts');
  const rcpthosts = readControlFile(ctx.fs, rcptPath);
  crFindings(notes, [rcpthosts]);
  const at = input.lastIndexOf('@');
  const host = at < 0 ? null : asciiLower(input.slice(at + 1));

  // rcpthosts.c: the host itself, then every ".suffix" of it; then the same keys in morercpthosts.cdb.
  let matched: { key: string; at: SourceRef; by: 'rcpthosts' | 'morercpthosts.cdb' } | null = null;
  let cdbTrouble: string | null = null;
  if (host !== null && rcpthosts.status === 'ok') {
    const map = new ConstMap(rcpthosts.lines, false);
    const keys: string[] = [];
    for (let j = 0; j < host.length; j++) if (j === 0 || host[j] === '.') keys.push(host.slice(j));
    for (const k of keys) {
      const hit = map.get(k);
      if (hit) {
        matched = { key: k, at: ref(rcptPath, hit.line), by: 'rcpthosts' };
        duplicateNote(notes, map, hit, rcptPath);
        break;
      }
    }
    const mrhCdbPath = ctl(ctx, 'morercpthosts.cdb');
    const mrhCdb = ctx.fs.read(mrhCdbPath);
    if (!matched && !isErr(mrhCdb)) {
      try {
        const db = new Cdb(mrhCdb);
        const k = keys.find((key) => db.get(encodeUtf8(key)) !== null);
        if (k !== undefined) matched = { key: k, at: ref(mrhCdbPath), by: 'morercpthosts.cdb' };
      } catch (e) {
        if (!(e instanceof CdbError)) throw e;
        cdbTrouble = `${mrhCdbPath} is not a valid cdb (${e.message}): qmail-smtpd answers 421 unable to read controls`;
      }
    }
    morercpthostsFindings(ctx, notes, keys, isErr(mrhCdb) ? null : mrhCdbPath);
  }

  const title = 'SMTP acceptance';
  const make = (
    accepted: boolean,
    by: SmtpData['by'],
    mark: Mark,
    summary: string,
    decidedBy: SourceRef | null,
    reply: string,
  ): SmtpOut => ({
    step: {
      n: 1,
      kind: 'smtp',
      title,
      mark,
      summary,
      decidedBy,
      findings: notes.list,
      data: { accepted, by, matched: matched?.key ?? null, reply },
    },
    listed: matched !== null,
  });

  if (rcpthosts.status === 'error') {
    notes.add('fail', `cannot read ${rcptPath} (${rcpthosts.errno ?? 'error'}): if qmail-smtpd cannot either, it answers every session with 421`, ref(rcptPath));
    return make(false, 'not-listed', 'fail', `control/rcpthosts is unreadable (${rcpthosts.errno ?? 'error'})`, ref(rcptPath), '421 unable to read controls (#4.3.0)');
  }

  if (rcpthosts.status === 'missing') {
    notes.add('warn', 'control/rcpthosts is missing: qmail-smtpd accepts mail for every domain from everyone — an open relay', ref(rcptPath));
    return make(true, 'no-rcpthosts', 'warn', 'accepted: there is no control/rcpthosts, so qmail-smtpd accepts any recipient (open relay!)', ref(rcptPath), '250 ok');
  }
  if (ctx.relayclient) {
    const without = matched
      ? `without RELAYCLIENT it would be accepted too (${matched.by} lists ${matched.key})`
      : 'without RELAYCLIENT it would be refused: the domain is not in rcpthosts';
    notes.add('note', without, matched?.at ?? null);
    if (cdbTrouble !== null) notes.add('warn', `${cdbTrouble} for clients without RELAYCLIENT`, ref(ctl(ctx, 'morercpthosts.cdb')));
    return make(true, 'relayclient', 'ok', 'accepted: RELAYCLIENT is set for the client (--relayclient), so qmail-smtpd does not consult rcpthosts', null, '250 ok');
  }
  // Only reached for a host rcpthosts does not list: qmail-smtpd's cdb_seek fails on it.
  if (cdbTrouble !== null) {
    const at = ref(ctl(ctx, 'morercpthosts.cdb'));
    notes.add('fail', cdbTrouble, at);
    return make(false, 'not-listed', 'fail', 'control/morercpthosts.cdb is corrupt', at, '421 unable to read controls (#4.3.0)');
  }
  if (host === null) {
    notes.add('note', 'qmail-smtpd accepts a recipient without @; qmail-send then appends control/envnoathost');
    return make(true, 'bare-address', 'ok', 'accepted: an address without @ passes the rcpthosts check', null, '250 ok');
  }
  if (matched) {
    const how = matched.key === host ? `${host} is listed` : `${host} matches the wildcard ${matched.key}`;
    const where = matched.by === 'rcpthosts' ? 'control/rcpthosts' : 'control/morercpthosts.cdb';
    return make(true, matched.by, markOf(notes, false), `accepted: ${how} in ${where}`, matched.at, '250 ok');
  }
  notes.add('note', 'a client with RELAYCLIENT set (tcpserver rules) skips this check; --relayclient assumes that');
  relayRules(ctx, notes);
  return make(false, 'not-listed', 'fail', `refused: ${host} is not in control/rcpthosts — qmail-smtpd answers "${REFUSED}"`, ref(rcptPath), REFUSED);
}

/** morercpthosts is only read through its cdb (qmail-newmrh); say when the two disagree. */
function morercpthostsFindings(ctx: WalkContext, notes: Notes, keys: readonly string[], cdbPath: string | null): void {
  const textPath = ctl(ctx, 'morercpthosts');
  const text = readControlFile(ctx.fs, textPath);
  if (text.status !== 'ok') return;
  const cdbStat = cdbPath ? ctx.fs.stat(cdbPath) : null;
  if (!cdbPath) notes.add('warn', 'control/morercpthosts exists but control/morercpthosts.cdb does not: qmail-smtpd reads only the cdb — run qmail-newmrh', ref(textPath));
  else if (cdbStat && !isErr(cdbStat) && text.mtimeMs !== null && text.mtimeMs > cdbStat.mtimeMs)
    notes.add('warn', 'control/morercpthosts is newer than morercpthosts.cdb: run qmail-newmrh', ref(textPath));
  const map = new ConstMap(text.lines, false);
  for (const k of keys) {
    const hit = map.get(k);
    if (hit) {
      notes.add('note', `control/morercpthosts lists ${k} (only its cdb counts)`, ref(textPath, hit.line));
      break;
    }
  }
}

/** tcpserver rules that set RELAYCLIENT, to say which clients may relay. */
function relayRules(ctx: WalkContext, notes: Notes): void {
  const rulesPath = sys(ctx, '/etc/tcp.smtp');
  const data = ctx.fs.read(rulesPath);
  if (isErr(data)) return;
  decodeUtf8(data)
    .split('\n')
    .forEach((line, i) => {
      if (/RELAYCLIENT=/.test(line) && !line.trimStart().startsWith('#'))
        notes.add('note', `RELAYCLIENT is set for clients matching "${line.split(':')[0] ?? ''}"`, ref(rulesPath, i + 1));
    });
}
