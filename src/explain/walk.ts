// The "trace an incoming message" checklist, step by step, following qmail's own code paths:
// qmail-smtpd (rcpthosts.c), qmail-send (rewrite()), qmail-lspawn (nughde_get), qmail-getpw,
// qmail-local (checkhome, qmesearch, the .qmail line loop). Pure logic over an FsPort.
import { posix as path } from 'node:path';
import { Cdb, CdbError } from './cdb.js';
import {
  ConstMap,
  asciiLower,
  decodeUtf8,
  encodeUtf8,
  findQmailStartArg,
  isErr,
  readAssign,
  readControlFile,
  readControlLine,
  readPasswd,
} from './config.js';
import type { AssignFile, ControlFile, ControlValue, MapEntry, PasswdFile } from './config.js';
import type {
  DefaultDelivery,
  Delivery,
  DotQmailStep,
  EvidenceDelivery,
  EvidenceSession,
  EvidenceSource,
  EvidenceStep,
  ExplainResult,
  Finding,
  FsPort,
  FsStat,
  Level,
  Mark,
  PathCheck,
  PermissionsStep,
  QmailLine,
  RelayRoute,
  ResolvedUser,
  RouteData,
  RouteStep,
  SearchedFile,
  SmtpData,
  SmtpStep,
  SourceRef,
  UserCandidate,
  UserStep,
} from './types.js';

export interface WalkContext {
  readonly fs: FsPort;
  readonly root: string;
  readonly sysroot: string;
  readonly passwd: string;
  readonly patrn: number;
  readonly relayclient: boolean;
  readonly defaultDelivery: string | undefined;
  readonly evidence: EvidenceSource | undefined;
  readonly evidenceLimit: number;
}

/** A reason qmail would not deliver: a deferral (retried until queuelifetime) or a bounce. */
interface Failure {
  readonly kind: 'defer' | 'bounce';
  readonly message: string;
}

const REFUSED = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
const NO_MAILBOX = 'Sorry, no mailbox here by that name. (#5.1.1)';
const PROGRAM_EXITS = 'run by /bin/sh -c: exit 0 = delivered, 99 = delivered and stop, 100 (and 64, 65, 70, 76, 77, 78, 112) = bounce, anything else = deferral';

class Notes {
  readonly list: Finding[] = [];
  add(level: Level, text: string, at: SourceRef | null = null): void {
    this.list.push({ level, text, at });
  }
  get worst(): Level | null {
    if (this.list.some((f) => f.level === 'fail')) return 'fail';
    if (this.list.some((f) => f.level === 'warn')) return 'warn';
    return null;
  }
}

const ref = (file: string, line: number | null = null): SourceRef => ({ file, line });
const ctl = (ctx: WalkContext, name: string): string => path.join(ctx.root, 'control', name);
/** A path as qmail sees it (/home/tammy) to where it is on disk (under --sysroot). */
const sys = (ctx: WalkContext, p: string): string => path.join(ctx.sysroot, p);
const octal = (mode: number): string => '0' + (mode & 0o7777).toString(8).padStart(3, '0');
const notFound = (errno: string): boolean => errno === 'ENOENT' || errno === 'ENOTDIR';

/** qmail's error_str() wording for the errors that matter here. */
function errorStr(errno: string): string {
  switch (errno) {
    case 'ENOENT':
      return 'file does not exist';
    case 'EACCES':
      return 'access denied';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    default:
      return errno;
  }
}

/** Would a process with exactly this uid and gid (qmail-lspawn sets no supplementary groups) get `want` (r=4, w=2, x=1)? */
function can(st: FsStat, uid: number, gid: number, want: number): boolean {
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & want) === want;
}

function crFindings(notes: Notes, files: readonly ControlFile[]): void {
  for (const f of files)
    for (const n of f.crLines)
      notes.add('warn', `line ends with a carriage return (DOS line ending): qmail keeps the CR, so this line never matches`, ref(f.path, n));
}

function unreadable(notes: Notes, f: ControlFile): void {
  if (f.status === 'error') notes.add('warn', `cannot read ${f.path} (${f.errno ?? 'error'}); treated as empty here`, ref(f.path));
}

function duplicateNote(notes: Notes, map: ConstMap, hit: MapEntry, file: string): void {
  const dup = map.duplicates.find((d) => d.key === asciiLower(hit.key));
  if (dup) notes.add('note', `"${hit.key}" is listed on lines ${dup.lines.join(', ')}; qmail uses the last one`, ref(file, hit.line));
}

function markOf(notes: Notes, failed: boolean, lines: readonly QmailLine[] = []): Mark {
  if (failed) return 'fail';
  return notes.worst === 'warn' || notes.worst === 'fail' || lines.some((l) => l.level === 'warn' || l.level === 'fail') ? 'warn' : 'ok';
}

// ---------------------------------------------------------------- step 1: qmail-smtpd

interface SmtpOut {
  readonly step: SmtpStep;
  /** The rcpthosts entry matched, for the route step's "accepted but not local" check. */
  readonly listed: boolean;
}

function stepSmtp(ctx: WalkContext, input: string): SmtpOut {
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

// ---------------------------------------------------------------- step 2: qmail-send rewrite()

interface RouteOut {
  readonly step: RouteStep;
  readonly failure: Failure | null;
}

function firstLine(ctx: WalkContext, name: string): ControlValue | null {
  return readControlLine(ctx.fs, ctl(ctx, name));
}

/** control_rldef(sa, file, 1, def): the file, else control/me, else the literal default. */
function rldef(ctx: WalkContext, name: string, me: ControlValue | null, def: string): ControlValue & { readonly from: 'file' | 'me' | 'default' } {
  const v = firstLine(ctx, name);
  if (v) return { ...v, from: 'file' };
  if (me) return { ...me, from: 'me' };
  return { value: def, at: ref(ctl(ctx, name)), from: 'default' };
}

function stepRoute(ctx: WalkContext, input: string, smtpListed: boolean, smtpAccepted: boolean): RouteOut {
  const notes = new Notes();
  const me = firstLine(ctx, 'me');
  let address = input;
  let decidedBy: SourceRef | null = null;

  if (!address.includes('@')) {
    // qmail-inject appends defaulthost; qmail-send itself (for SMTP / qmail-queue) appends envnoathost.
    const dh = rldef(ctx, 'defaulthost', me, 'defaulthost');
    const eh = rldef(ctx, 'envnoathost', me, 'envnoathost');
    address = `${input}@${dh.value}`;
    const from = dh.from === 'file' ? 'control/defaulthost' : dh.from === 'me' ? 'control/me, as there is no control/defaulthost' : 'no defaulthost and no me';
    notes.add('note', `no @: qmail-inject appends @${dh.value} (${from})`, dh.at);
    if (eh.value !== dh.value)
      notes.add('warn', `mail that reaches qmail-send without @ by another way (SMTP, qmail-queue) gets @${eh.value} from envnoathost instead`, eh.at);
  }

  // percenthack: while the domain is listed, the last % before the @ becomes the @.
  const phPath = ctl(ctx, 'percenthack');
  const percenthack = readControlFile(ctx.fs, phPath);
  const phMap = new ConstMap(percenthack.lines, false);
  for (;;) {
    const i = address.lastIndexOf('@');
    const hit = phMap.get(address.slice(i + 1));
    if (!hit) break;
    const j = address.lastIndexOf('%', i - 1);
    if (j < 0) break;
    const before = address;
    address = address.slice(0, j) + '@' + address.slice(j + 1, i);
    notes.add('note', `percenthack: ${before} becomes ${address}`, ref(phPath, hit.line));
    decidedBy = ref(phPath, hit.line);
  }

  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  const localsPath = ctl(ctx, 'locals');
  const locals = readControlFile(ctx.fs, localsPath);
  const vdPath = ctl(ctx, 'virtualdomains');
  const vdoms = readControlFile(ctx.fs, vdPath);
  crFindings(notes, [locals, vdoms, percenthack]);
  unreadable(notes, locals);
  unreadable(notes, vdoms);

  const base = { input, address, domain };
  const local = (via: RouteData['via'], rewritten: string, summary: string, by: SourceRef, vdomKey: string | null = null, vdomPrefix: string | null = null): RouteOut => {
    if (!smtpAccepted) notes.add('warn', `${domain} is delivered locally but is not in rcpthosts: mail for it from outside is refused (add it to control/rcpthosts)`);
    return {
    step: {
      n: 2,
      kind: 'route',
      title: 'Local or remote',
      mark: markOf(notes, false),
      summary,
      decidedBy: by,
      findings: notes.list,
      data: { ...base, channel: 'local', via, vdomKey, vdomPrefix, rewritten, localPart: rewritten.slice(0, rewritten.lastIndexOf('@')), relay: null },
    },
    failure: null,
    };
  };

  // locals (if missing: control/me; if both are missing qmail-send does not start).
  let localsMap: ConstMap;
  let localsFrom: 'locals' | 'me' = 'locals';
  if (locals.status === 'missing') {
    if (!me) {
      notes.add('fail', 'neither control/locals nor control/me exists: qmail-send stops with "cannot start: unable to read controls"', ref(localsPath));
      return {
        step: {
          n: 2,
          kind: 'route',
          title: 'Local or remote',
          mark: 'fail',
          summary: 'qmail-send cannot start: no control/locals and no control/me',
          decidedBy: ref(localsPath),
          findings: notes.list,
          data: { ...base, channel: 'remote', via: 'none', vdomKey: null, vdomPrefix: null, rewritten: address, localPart: null, relay: null },
        },
        failure: { kind: 'defer', message: 'alert: cannot start: unable to read controls (qmail-send is not running; the message stays queued)' },
      };
    }
    localsMap = new ConstMap([{ n: 1, text: me.value }], false);
    localsFrom = 'me';
    notes.add('note', `control/locals is missing: qmail-send uses control/me (${me.value}) as the only local domain`, me.at);
  } else localsMap = new ConstMap(locals.lines, false);

  const vdMap = new ConstMap(vdoms.lines, true);
  for (const n of vdMap.ignored) notes.add('warn', 'line has no ":" and is ignored', ref(vdPath, n));

  const lhit = localsMap.get(domain);
  if (lhit) {
    const by = localsFrom === 'me' ? me?.at ?? ref(localsPath) : ref(localsPath, lhit.line);
    if (localsFrom === 'locals') duplicateNote(notes, localsMap, lhit, localsPath);
    const shadow = vdMap.get(domain);
    if (shadow) notes.add('warn', `virtualdomains also lists ${domain}, but locals has priority: that line is never used`, ref(vdPath, shadow.line));
    return local(localsFrom, address, `local: ${domain} is in ${localsFrom === 'me' ? 'control/me' : 'control/locals'}; qmail-lspawn gets local part "${address.slice(0, at)}"`, by);
  }

  // virtualdomains: the whole address, the domain, each ".suffix", then "" (catch-all).
  for (let i = 0; i <= address.length; i++) {
    if (!(i === 0 || i === at + 1 || i === address.length || (i > at && address[i] === '.'))) continue;
    const key = address.slice(i);
    const hit = vdMap.get(key);
    if (!hit) continue;
    duplicateNote(notes, vdMap, hit, vdPath);
    const what = i === 0 ? `the address ${key}` : key === '' ? 'the catch-all ":prefix"' : key.startsWith('.') ? `the wildcard ${key}` : key;
    if (hit.value === '') {
      notes.add('note', `virtualdomains maps ${what} to an empty prefix, which means "not local"`, ref(vdPath, hit.line));
      decidedBy = ref(vdPath, hit.line);
      break;
    }
    const rewritten = `${hit.value}-${address}`;
    const summary = `virtual: virtualdomains maps ${what} to prefix "${hit.value}"; qmail-send delivers it locally as ${rewritten}`;
    return local('virtualdomains', rewritten, summary, ref(vdPath, hit.line), hit.key, hit.value);
  }

  // Remote: qmail-remote's smtproutes lookup (domain, ".suffix"es, then "" for the default route).
  const srPath = ctl(ctx, 'smtproutes');
  const routes = readControlFile(ctx.fs, srPath);
  crFindings(notes, [routes]);
  unreadable(notes, routes);
  const srMap = new ConstMap(routes.lines, true);
  let relay: RelayRoute | null = null;
  for (let i = 0; i <= domain.length; i++) {
    if (!(i === 0 || i === domain.length || domain[i] === '.')) continue;
    const hit = srMap.get(domain.slice(i));
    if (!hit) continue;
    decidedBy = ref(srPath, hit.line);
    if (hit.value === '') {
      notes.add('note', `smtproutes line has an empty relay: qmail-remote looks up the MX as usual`, decidedBy);
      break;
    }
    const c = hit.value.indexOf(':');
    const hostPart = c < 0 ? hit.value : hit.value.slice(0, c);
    const digits = c < 0 ? '' : /^\d*/.exec(hit.value.slice(c + 1))?.[0] ?? '';
    relay = { key: hit.key, host: hostPart, port: c < 0 ? 25 : Number(digits || '0') };
    break;
  }
  if (smtpListed && !ctx.relayclient)
    notes.add(
      'warn',
      `${domain} is in rcpthosts but neither in locals nor in virtualdomains: qmail accepts mail for it from anyone and sends it on` +
        (relay ? '' : '; if its MX is this host, qmail bounces it ("listed as best-preference MX", #5.4.6)'),
    );
  const how = relay
    ? `via smtproutes to ${relay.host}:${relay.port}${relay.key === '' ? ' (the default route)' : ''}`
    : `to the MX of ${domain} (DNS is not checked here)`;
  return {
    step: {
      n: 2,
      kind: 'route',
      title: 'Local or remote',
      mark: markOf(notes, false),
      summary: `remote: ${domain} is neither in locals nor in virtualdomains; qmail-remote delivers ${how}`,
      decidedBy,
      findings: notes.list,
      data: { ...base, channel: 'remote', via: 'none', vdomKey: null, vdomPrefix: null, rewritten: address, localPart: null, relay },
    },
    failure: null,
  };
}

// ---------------------------------------------------------------- step 3: qmail-lspawn / qmail-getpw

interface UserOut {
  readonly step: UserStep;
  readonly user: ResolvedUser | null;
  readonly failure: Failure | null;
}

type Getter = (key: Uint8Array) => Uint8Array | null;

interface Hit {
  readonly key: Uint8Array;
  readonly data: Uint8Array;
  /** Wildcard: the rest of the local part after the prefix (original case), appended to ext. */
  readonly rest: Uint8Array;
}

const asciiLowerBytes = (b: Uint8Array): Uint8Array => b.map((c) => (c >= 65 && c <= 90 ? c + 32 : c));
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** nughde_get(): exact "!local\0" first, then the longest "!prefix" whose last char is a wildchar. */
function lspawnLookup(local: string, get: Getter, wildchars: Uint8Array): Hit | null {
  const localBytes = encodeUtf8(local);
  const lower = concat(new Uint8Array([0x21]), asciiLowerBytes(localBytes), new Uint8Array([0]));
  let i = lower.length;
  let wild = false;
  do {
    if (!wild || i === 1 || wildchars.includes(lower[i - 1] ?? -1)) {
      const key = lower.subarray(0, i);
      const data = get(key);
      if (data) return { key, data, rest: wild ? localBytes.subarray(i - 1) : new Uint8Array(0) };
    }
    i--;
    wild = true;
  } while (i);
  return null;
}

interface Nughde {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly dash: string;
  readonly ext: string;
}

/** scan_ulong: the leading digits, 0 when there are none. */
const scanUlong = (s: string): number => Number(/^\d*/.exec(s)?.[0] || '0');

function parseNughde(hit: Hit): Nughde | null {
  const parts = decodeUtf8(concat(hit.data, hit.rest)).split('\0');
  const [user, uid, gid, home, dash, ext] = parts;
  if (user === undefined || uid === undefined || gid === undefined || home === undefined || dash === undefined || ext === undefined) return null;
  return { user, uid: scanUlong(uid), gid: scanUlong(gid), home, dash, ext };
}

const keyText = (key: Uint8Array): string => decodeUtf8(key).replace(/\0$/, '');
const describe = (n: Nughde): string => `${n.user} (uid ${n.uid}, gid ${n.gid}, home ${n.home}), dash "${n.dash}", extension "${n.ext}"`;
const sameNughde = (a: Nughde | null, b: Nughde | null): boolean =>
  a === null || b === null ? a === b : a.user === b.user && a.uid === b.uid && a.gid === b.gid && a.home === b.home && a.dash === b.dash && a.ext === b.ext;

function assignGetter(assign: AssignFile): Getter {
  const entries = assign.entries.map((e) => ({ key: encodeUtf8(e.key), data: encodeUtf8(e.data) }));
  return (key) => {
    // cdbmss adds records in file order and cdb_seek returns the first: the first line wins.
    const e = entries.find((x) => x.key.length === key.length && x.key.every((c, i) => c === key[i]));
    return e ? e.data : null;
  };
}

function assignLine(assign: AssignFile, key: Uint8Array): number | null {
  const k = decodeUtf8(key);
  return assign.entries.find((e) => e.key === k)?.line ?? null;
}

function stepUser(ctx: WalkContext, local: string): UserOut {
  const notes = new Notes();
  const cdbPath = path.join(ctx.root, 'users', 'cdb');
  const assignPath = path.join(ctx.root, 'users', 'assign');
  const assign = readAssign(ctx.fs, assignPath);
  const candidates: UserCandidate[] = [];
  let decidedBy: SourceRef | null = null;
  let found: Nughde | null = null;
  let via: ResolvedUser['via'] = 'users/cdb';

  if (assign.formatError)
    notes.add('warn', `qmail-newu would stop with "bad format in users/assign" (${assign.formatError.why}) and leave users/cdb as it is`, ref(assignPath, assign.formatError.line));

  const fail = (message: string, summary: string, at: SourceRef | null, user: ResolvedUser | null = null): UserOut => ({
    step: { n: 3, kind: 'user', title: 'User', mark: 'fail', summary, decidedBy: at, findings: notes.list, data: { local, user, candidates } },
    user,
    failure: { kind: 'defer', message },
  });

  const cdbBytes = ctx.fs.read(cdbPath);
  if (!isErr(cdbBytes)) {
    // qmail-lspawn reads users/cdb only; users/assign matters only through qmail-newu.
    let db: Cdb;
    let wildchars: Uint8Array | null;
    try {
      db = new Cdb(cdbBytes);
      wildchars = db.get(new Uint8Array(0));
    } catch (e) {
      if (!(e instanceof CdbError)) throw e;
      notes.add('fail', `users/cdb is not a valid cdb: ${e.message}`, ref(cdbPath));
      return fail('Trouble reading users/cdb in qmail-lspawn.', 'users/cdb cannot be read: qmail-lspawn defers every local delivery', ref(cdbPath));
    }
    if (wildchars === null) {
      notes.add('fail', 'users/cdb has no "" record (the wildcard characters qmail-newu always writes): qmail-lspawn treats it as unreadable', ref(cdbPath));
      return fail('Trouble reading users/cdb in qmail-lspawn.', 'users/cdb lacks the record qmail-newu always writes: qmail-lspawn defers every local delivery', ref(cdbPath));
    }
    let hit: Hit | null;
    try {
      hit = lspawnLookup(local, (k) => db.get(k), wildchars);
    } catch (e) {
      if (!(e instanceof CdbError)) throw e;
      notes.add('fail', `users/cdb is damaged: ${e.message}`, ref(cdbPath));
      return fail('Trouble reading users/cdb in qmail-lspawn.', 'users/cdb is damaged: qmail-lspawn defers every local delivery', ref(cdbPath));
    }
    const fromCdb = hit ? parseNughde(hit) : null;
    if (hit && !fromCdb) {
      notes.add('fail', `users/cdb record "${keyText(hit.key)}" has fewer than six fields`, ref(cdbPath));
      return fail('Internal qmail-lspawn bug.', 'a users/cdb record is malformed: qmail-lspawn defers', ref(cdbPath));
    }

    const cdbStat = ctx.fs.stat(cdbPath);
    const stale = assign.status === 'ok' && assign.mtimeMs !== null && !isErr(cdbStat) && assign.mtimeMs > cdbStat.mtimeMs;
    const assignHit = assign.status === 'ok' && !assign.formatError ? lspawnLookup(local, assignGetter(assign), encodeUtf8(assign.wildchars)) : null;
    const fromAssign = assignHit ? parseNughde(assignHit) : null;
    if (stale) notes.add('warn', 'users/assign was changed after users/cdb was built (qmail-newu was not run): qmail uses users/cdb', ref(assignPath));
    if (assign.status === 'ok' && !assign.formatError && !sameNughde(fromCdb, fromAssign)) {
      const a = fromAssign && assignHit ? `${describe(fromAssign)} (line ${assignLine(assign, assignHit.key) ?? '?'})` : 'no entry';
      const c = fromCdb ? describe(fromCdb) : 'no entry';
      notes.add('warn', `users/assign gives ${a}, but users/cdb gives ${c}: run qmail-newu`, ref(assignPath));
    }
    if (assign.status === 'missing') notes.add('note', 'users/cdb exists without users/assign: it cannot be rebuilt', ref(cdbPath));

    if (hit && fromCdb) {
      found = fromCdb;
      via = 'users/cdb';
      const line = assignHit && sameNughde(fromCdb, fromAssign) && !stale ? assignLine(assign, assignHit.key) : null;
      decidedBy = line !== null ? ref(assignPath, line) : ref(cdbPath);
      const kind = hit.key[hit.key.length - 1] === 0 ? `=${keyText(hit.key).slice(1)}` : `+${keyText(hit.key).slice(1)}`;
      notes.add('note', `users/cdb entry ${kind} matches ${local}${hit.rest.length ? ` (wildcard: the rest "${decodeUtf8(hit.rest)}" is appended to the extension)` : ''}`, decidedBy);
    } else notes.add('note', `no users/cdb entry matches ${local}: qmail-lspawn asks qmail-getpw`, ref(cdbPath));
  } else if (cdbBytes.errno !== 'ENOENT') {
    notes.add('fail', `cannot read users/cdb (${cdbBytes.errno})`, ref(cdbPath));
    return fail('Trouble reading users/cdb in qmail-lspawn.', `users/cdb is unreadable (${cdbBytes.errno}): qmail-lspawn defers`, ref(cdbPath));
  } else if (assign.status === 'ok') {
    notes.add('warn', 'users/assign exists but users/cdb does not: qmail ignores assign until qmail-newu is run', ref(assignPath));
  }

  if (!found) {
    const passwd = readPasswd(ctx.fs, ctx.passwd);
    if (passwd.status !== 'ok')
      notes.add('warn', `cannot read ${ctx.passwd} (${passwd.errno ?? 'missing'}): pass --passwd or --sysroot`, ref(ctx.passwd));
    const pw = getpw(ctx, local, passwd, candidates);
    if (pw) {
      found = pw.nughde;
      via = pw.alias ? 'alias' : 'passwd';
      decidedBy = ref(ctx.passwd, pw.line);
    } else {
      notes.add('fail', 'no user matches and there is no "alias" user in passwd', ref(ctx.passwd));
      return fail('Unable to find alias user!', 'no user and no alias user: qmail-lspawn defers ("Unable to find alias user!")', ref(ctx.passwd));
    }
  }

  const user: ResolvedUser = { via, ...found, homeOnDisk: sys(ctx, found.home) };
  if (found.uid === 0) {
    notes.add('fail', `${found.user} has uid 0: qmail-lspawn refuses to deliver as root`, decidedBy);
    return fail('Not allowed to perform deliveries as root.', `${found.user} has uid 0: qmail-lspawn defers`, decidedBy, user);
  }
  if (!found.home.startsWith('/')) {
    notes.add('fail', `home "${found.home}" is not an absolute path: qmail-local exits with a usage error (permanent)`, decidedBy);
    const summary = `home "${found.home}" is relative: qmail-local bounces`;
    return {
      step: { n: 3, kind: 'user', title: 'User', mark: 'fail', summary, decidedBy, findings: notes.list, data: { local, user, candidates } },
      user,
      failure: { kind: 'bounce', message: 'qmail-local: usage: qmail-local [ -nN ] user homedir local dash ext domain sender aliasempty' },
    };
  }
  const summary =
    via === 'alias'
      ? `no user owns "${local}": the alias user takes it (home ${found.home}), extension "${found.ext}"`
      : `${describe(found)} — from ${via === 'passwd' ? 'passwd (qmail-getpw)' : 'users/cdb'}`;
  return {
    step: { n: 3, kind: 'user', title: 'User', mark: markOf(notes, false), summary, decidedBy, findings: notes.list, data: { local, user, candidates } },
    user,
    failure: null,
  };
}

/** qmail-getpw: the longest prefix of the local part ending before a '-' that is a real user; else alias. */
function getpw(ctx: WalkContext, local: string, passwd: PasswdFile, candidates: UserCandidate[]): { nughde: Nughde; line: number; alias: boolean } | null {
  for (let e = local.length; e > 0; e--) {
    if (e !== local.length && local[e] !== '-') continue;
    const prefix = local.slice(0, e);
    if (encodeUtf8(prefix).length >= 32) continue; // GETPW_USERLEN
    const name = asciiLower(prefix);
    const pw = passwd.byName.get(name);
    let result: string;
    if (!pw) result = 'no such user';
    else if (pw.uid === 0) result = 'uid 0: qmail-getpw skips it';
    else {
      const st = ctx.fs.stat(sys(ctx, pw.home));
      if (isErr(st)) result = `home ${pw.home}: ${errorStr(st.errno)}`;
      else if (st.uid !== pw.uid) result = `home ${pw.home} is owned by uid ${st.uid}, not ${pw.uid}`;
      else {
        candidates.push({ name, result: 'match' });
        const ext = e < local.length ? local.slice(e + 1) : '';
        return { nughde: { user: pw.name, uid: pw.uid, gid: pw.gid, home: pw.home, dash: e < local.length ? '-' : '', ext }, line: pw.line, alias: false };
      }
    }
    candidates.push({ name, result });
  }
  const alias = passwd.byName.get('alias');
  if (!alias) return null;
  return { nughde: { user: alias.name, uid: alias.uid, gid: alias.gid, home: alias.home, dash: '-', ext: local }, line: alias.line, alias: true };
}

// ---------------------------------------------------------------- step 4: qmail-local's .qmail

interface DotQmailOut {
  readonly step: DotQmailStep;
  /** The .qmail file found (on disk) and its stat, for the permission checks. */
  readonly chosen: { readonly path: string; readonly st: FsStat } | null;
  /** open_read() failing for the user (qmeexists): comes before the writable check. */
  readonly openFailure: Failure | null;
  /** No .qmail for an extension (bounce) or a failing line. */
  readonly failure: Failure | null;
  readonly delivers: string;
}

/** qmesearch(): .qmail<dash><ext>, then .qmail<dash><ext up to each '-'>default, longest first. */
export function dotQmailNames(dash: string, ext: string): { names: string[]; safeext: string } {
  const safeext = asciiLower(ext).replace(/\./g, ':');
  const names = [`.qmail${dash}${safeext}`];
  for (let i = safeext.length; i >= 0; i--) if (i === 0 || safeext[i - 1] === '-') names.push(`.qmail${dash}${safeext.slice(0, i)}default`);
  return { names, safeext };
}

interface LinesOut {
  readonly lines: QmailLine[];
  readonly failure: Failure | null;
  readonly delivers: string[];
}

function analyseLines(ctx: WalkContext, user: ResolvedUser, text: string, forwardOnlyAtStart: boolean, notes: Notes, src: string | null): LinesOut {
  const lines: QmailLine[] = [];
  const delivers: string[] = [];
  let failure: Failure | null = null;
  let forwardOnly = forwardOnlyAtStart;
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const raw = body.split('\n');
  for (let idx = 0; idx < raw.length && !failure; idx++) {
    const n = idx + 1;
    const t = (raw[idx] ?? '').replace(/[ \t]+$/, '');
    const push = (kind: QmailLine['kind'], target: string, resolved: string | null, level: Level, note: string): void => {
      lines.push({ n, text: t, kind, target, resolved, level, note });
    };
    if (t.endsWith('\r'))
      notes.add('warn', `line ${n} ends with a carriage return (DOS line ending): qmail-local keeps it as part of the instruction`, src ? ref(src, n) : null);
    const c = t[0];
    if (c === undefined) {
      if (idx === 0) {
        failure = { kind: 'defer', message: 'Uh-oh: first line of .qmail file is blank. (#4.2.1)' };
        push('blank', '', null, 'fail', 'the first line is blank: qmail-local defers ("Uh-oh: first line of .qmail file is blank")');
      } else push('blank', '', null, 'note', 'blank line, ignored');
    } else if (c === '#') push('comment', '', null, 'note', 'comment');
    else if (c === '.' || c === '/') {
      const maildir = t.endsWith('/');
      if (forwardOnly) {
        failure = { kind: 'defer', message: 'Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)' };
        push(maildir ? 'maildir' : 'mbox', t, null, 'fail', 'file delivery in a forward-only .qmail (x bit set or +list): qmail-local defers');
        continue;
      }
      const resolved = t.startsWith('/') ? sys(ctx, t) : path.join(user.homeOnDisk, t);
      const r = maildir ? checkMaildir(ctx, user, t, resolved) : checkMbox(ctx, user, t, resolved);
      push(maildir ? 'maildir' : 'mbox', t, resolved, r.level, r.note);
      if (r.failure) failure = r.failure;
      else delivers.push(`${maildir ? 'maildir' : 'mbox'} ${t}`);
    } else if (c === '|') {
      const cmd = t.slice(1);
      if (forwardOnly) {
        failure = { kind: 'defer', message: 'Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)' };
        push('program', cmd, null, 'fail', 'program delivery in a forward-only .qmail (x bit set or +list): qmail-local defers');
        continue;
      }
      const r = checkProgram(ctx, user, cmd);
      push('program', cmd, r.resolved, r.level, r.note);
      if (r.failure) failure = r.failure;
      else delivers.push(`program ${cmd}`);
    } else if (c === '+') {
      if (t === '+list') {
        forwardOnly = true;
        push('list', t, null, 'note', 'from here on only forwards are allowed');
      } else push('ignored', t, null, 'note', 'a "+" line other than +list is ignored');
    } else {
      const target = c === '&' ? t.slice(1) : t;
      push('forward', target, null, 'ok', `forward: re-injected as a new message to ${target} (qtrace explain ${target} follows it)`);
      delivers.push(`forward to ${target}`);
    }
  }
  const failedAt = failure ? lines[lines.length - 1] : undefined;
  if (failure && failedAt) {
    const before = lines.filter((l) => l.n < failedAt.n && (l.kind === 'maildir' || l.kind === 'mbox' || l.kind === 'program')).length;
    if (before > 0) notes.add('warn', `the ${before} delivery line(s) before line ${failedAt.n} are carried out on every retry: duplicates`, src ? ref(src, failedAt.n) : null);
  }
  if (!failure && delivers.length === 0)
    notes.add('warn', 'no delivery instructions: qmail-local reports success and the message goes nowhere', src ? ref(src) : null);
  return { lines, failure, delivers };
}

interface Check {
  readonly level: Level;
  readonly note: string;
  readonly failure: Failure | null;
}

/**
 * The first directory between `from` (the home, already checked, or the system root) and
 * `target` that the user cannot pass through; null when the way is open (or a piece is missing,
 * which the caller reports from its own stat).
 */
function blockedDir(ctx: WalkContext, user: ResolvedUser, target: string): string | null {
  let from = path.resolve(user.homeOnDisk);
  if (!path.resolve(target).startsWith(from + '/')) from = path.resolve(ctx.sysroot);
  const parts = path.relative(from, path.dirname(path.resolve(target))).split('/').filter((x) => x !== '' && x !== '.');
  let d = from;
  for (const part of parts) {
    d = path.join(d, part);
    const st = ctx.fs.stat(d);
    if (isErr(st)) return null;
    if (st.kind === 'dir' && !can(st, user.uid, user.gid, 1)) return d;
  }
  return null;
}

function checkMaildir(ctx: WalkContext, user: ResolvedUser, target: string, dir: string): Check {
  const chdirFail: Failure = { kind: 'defer', message: 'Unable to chdir to maildir. (#4.2.1)' };
  const blocked = blockedDir(ctx, user, path.join(dir, 'new'));
  if (blocked) return { level: 'fail', note: `${blocked} is not searchable by uid ${user.uid} — qmail-local defers ("Unable to chdir to maildir")`, failure: chdirFail };
  const st = ctx.fs.stat(dir);
  if (isErr(st)) return { level: 'fail', note: `maildir ${dir}: ${errorStr(st.errno)} — qmail-local defers ("Unable to chdir to maildir")`, failure: chdirFail };
  if (st.kind !== 'dir') return { level: 'fail', note: `maildir ${dir} is not a directory — qmail-local defers`, failure: chdirFail };
  if (!can(st, user.uid, user.gid, 1)) return { level: 'fail', note: `maildir ${dir} is not searchable by uid ${user.uid} — qmail-local defers`, failure: chdirFail };
  const missing: string[] = [];
  const denied: string[] = [];
  for (const sub of ['tmp', 'new']) {
    const s = ctx.fs.stat(path.join(dir, sub));
    if (isErr(s) || s.kind !== 'dir') missing.push(sub);
    else if (!can(s, user.uid, user.gid, 3)) denied.push(sub);
  }
  if (missing.length || denied.length) {
    const why = [missing.length ? `${missing.join('/, ')}/ missing` : '', denied.length ? `${denied.join('/, ')}/ not writable by uid ${user.uid}` : ''].filter(Boolean).join('; ');
    const failure: Failure = { kind: 'defer', message: 'Temporary error on maildir delivery. (#4.3.0)' };
    return { level: 'fail', note: `maildir ${target}: ${why} — qmail-local defers ("Temporary error on maildir delivery")`, failure };
  }
  const cur = ctx.fs.stat(path.join(dir, 'cur'));
  if (isErr(cur) || cur.kind !== 'dir') return { level: 'warn', note: `maildir ${dir}: cur/ is missing — qmail delivers into new/, but mail readers need cur/`, failure: null };
  return { level: 'ok', note: `${dir} (tmp/ new/ cur/ present)`, failure: null };
}

function checkMbox(ctx: WalkContext, user: ResolvedUser, target: string, file: string): Check {
  const open = (errno: string): Failure => ({ kind: 'defer', message: `Unable to open ${target}: ${errorStr(errno)}. (#4.2.1)` });
  const blocked = blockedDir(ctx, user, file);
  if (blocked) return { level: 'fail', note: `${blocked} is not searchable by uid ${user.uid} — qmail-local defers`, failure: open('EACCES') };
  const st = ctx.fs.stat(file);
  if (!isErr(st)) {
    if (st.kind === 'dir') return { level: 'fail', note: `mbox ${file} is a directory (a maildir line must end in "/") — qmail-local defers`, failure: open('EISDIR') };
    if (!can(st, user.uid, user.gid, 2)) return { level: 'fail', note: `mbox ${file} is not writable by uid ${user.uid} — qmail-local defers`, failure: open('EACCES') };
    return { level: 'ok', note: file, failure: null };
  }
  if (!notFound(st.errno)) return { level: 'warn', note: `mbox ${file}: cannot examine (${st.errno})`, failure: null };
  const dir = ctx.fs.stat(path.dirname(file));
  if (isErr(dir) || dir.kind !== 'dir')
    return { level: 'fail', note: `mbox ${file}: its directory does not exist — qmail-local defers`, failure: open('ENOENT') };
  if (!can(dir, user.uid, user.gid, 3))
    return { level: 'fail', note: `mbox ${file} does not exist and uid ${user.uid} cannot create it — qmail-local defers`, failure: open('EACCES') };
  return { level: 'ok', note: `${file} (does not exist yet; qmail-local creates it)`, failure: null };
}

function checkProgram(ctx: WalkContext, user: ResolvedUser, cmd: string): Check & { readonly resolved: string | null } {
  const word = cmd.trimStart().split(/[\s;|&<>()]/)[0] ?? '';
  if (!word.startsWith('/')) return { level: 'ok', note: PROGRAM_EXITS, failure: null, resolved: null };
  const file = sys(ctx, word);
  const st = ctx.fs.stat(file);
  if (isErr(st)) {
    if (!notFound(st.errno)) return { level: 'warn', note: `${word}: cannot examine (${st.errno}); ${PROGRAM_EXITS}`, failure: null, resolved: file };
    const failure: Failure = { kind: 'defer', message: `${word}: not found (sh exit 127, temporary failure)` };
    return { level: 'fail', note: `${word} does not exist: sh exits 127 and qmail-local defers on every try`, failure, resolved: file };
  }
  if (st.kind !== 'file' || !can(st, user.uid, user.gid, 1)) {
    const failure: Failure = { kind: 'defer', message: `${word}: permission denied (sh exit 126, temporary failure)` };
    return { level: 'fail', note: `${word} is not executable by uid ${user.uid}: sh exits 126 and qmail-local defers on every try`, failure, resolved: file };
  }
  return { level: 'ok', note: PROGRAM_EXITS, failure: null, resolved: file };
}

/** qmail-start's first argument (aliasempty): --default-delivery, else rc, else the supervise run script. */
function findDefaultDelivery(ctx: WalkContext, notes: Notes): DefaultDelivery | null {
  if (ctx.defaultDelivery !== undefined) return { value: ctx.defaultDelivery, from: null };
  const scripts = [path.join(ctx.root, 'rc'), path.join(ctx.root, 'supervise', 'qmail-send', 'run')];
  for (const p of scripts) {
    const arg = findQmailStartArg(ctx.fs, p);
    if (!arg) continue;
    for (const o of arg.others) notes.add('warn', `another qmail-start line gives a different default delivery: ${o.value}`, ref(p, o.line));
    if (/[`$]/.test(arg.value)) {
      // The usual `cat /var/qmail/control/defaultdelivery` (Life with qmail): read the file ourselves.
      if (/control\/defaultdelivery/.test(arg.value)) {
        const ddPath = ctl(ctx, 'defaultdelivery');
        const data = ctx.fs.read(ddPath);
        if (isErr(data)) {
          notes.add('fail', `${p} takes the default delivery from control/defaultdelivery, which cannot be read (${data.errno})`, ref(ddPath));
          return null;
        }
        return { value: decodeUtf8(data).replace(/\n+$/, ''), from: ref(ddPath) };
      }
      notes.add('warn', `qmail-start's argument is a shell expression (${arg.value}); pass --default-delivery`, arg.at);
      return null;
    }
    return { value: arg.value, from: arg.at };
  }
  notes.add('warn', `no qmail-start line in ${scripts.join(' or ')}: pass --default-delivery`);
  return null;
}

function stepDotQmail(ctx: WalkContext, user: ResolvedUser): DotQmailOut {
  const notes = new Notes();
  const { names, safeext } = dotQmailNames(user.dash, user.ext);
  const searched: SearchedFile[] = [];
  let chosen: { path: string; st: FsStat; name: string; index: number } | null = null;
  let openFailure: Failure | null = null;

  for (const [index, name] of names.entries()) {
    const p = path.join(user.homeOnDisk, name);
    const st = ctx.fs.stat(p);
    if (isErr(st)) {
      searched.push({ name, path: p, exists: false });
      if (!notFound(st.errno)) notes.add('warn', `cannot examine ${p} (${st.errno}); qtrace treats it as absent`, ref(p));
      continue;
    }
    if (st.kind !== 'file') {
      searched.push({ name, path: p, exists: false });
      notes.add('warn', `${name} is not a regular file: qmail-local ignores it`, ref(p));
      continue;
    }
    searched.push({ name, path: p, exists: true });
    chosen = { path: p, st, name, index };
    if (!can(st, user.uid, user.gid, 4)) {
      openFailure = { kind: 'defer', message: `Unable to open ${name}: access denied. (#4.3.0)` };
      notes.add('fail', `${name} is not readable by uid ${user.uid}: qmail-local defers`, ref(p));
    }
    break;
  }

  // $DEFAULT: the part of the extension a -default file stands for.
  let defaultEnv: string | null = null;
  if (chosen) {
    if (chosen.index === 0) {
      if (safeext.length >= 7 && safeext.endsWith('default')) defaultEnv = user.ext.slice(safeext.length - 7);
    } else {
      const cut = chosen.name.length - '.qmail'.length - user.dash.length - 'default'.length;
      defaultEnv = user.ext.slice(cut);
    }
  }

  const forwardOnly = chosen !== null && (chosen.st.mode & 0o100) !== 0;
  if (chosen && forwardOnly) notes.add('note', `${chosen.name} has its owner x bit set: forward-only (file and program lines defer)`, ref(chosen.path));
  const chosenRef = chosen ? { path: chosen.path, st: chosen.st } : null;
  const finish = (end: {
    readonly mark: Mark;
    readonly summary: string;
    readonly decidedBy: SourceRef | null;
    readonly delivers: string;
    readonly failure?: Failure | null;
    readonly defaultDelivery?: DefaultDelivery | null;
    readonly usesDefaultDelivery?: boolean;
    readonly lines?: readonly QmailLine[];
  }): DotQmailOut => {
    const usesDefaultDelivery = end.usesDefaultDelivery ?? false;
    return {
      step: {
        n: 4,
        kind: 'dotqmail',
        title: '.qmail file',
        mark: end.mark,
        summary: end.summary,
        decidedBy: end.decidedBy,
        findings: notes.list,
        data: {
          searched,
          file: chosen?.path ?? null,
          defaultEnv,
          forwardOnly: forwardOnly && !usesDefaultDelivery,
          usesDefaultDelivery,
          defaultDelivery: end.defaultDelivery ?? null,
          lines: end.lines ?? [],
        },
      },
      chosen: chosenRef,
      openFailure,
      failure: end.failure ?? null,
      delivers: end.delivers,
    };
  };

  if (!chosen && user.dash !== '') {
    notes.add('fail', `none of ${names.join(', ')} exists in ${user.home}: qmail-local bounces ("${NO_MAILBOX}")`);
    const summary = `no .qmail file for extension "${user.ext}": bounce "${NO_MAILBOX}"`;
    return finish({ mark: 'fail', summary, decidedBy: null, delivers: '', failure: { kind: 'bounce', message: NO_MAILBOX } });
  }

  let text: string | null = null;
  if (chosen && !openFailure) {
    const data = ctx.fs.read(chosen.path);
    if (isErr(data)) notes.add('warn', `cannot read ${chosen.path} (${data.errno}) to show its lines`, ref(chosen.path));
    else text = decodeUtf8(data);
  }
  if (chosen && (openFailure || text === null)) {
    const summary = `${chosen.name} in ${user.home}${openFailure ? ': unreadable for the user, qmail-local defers' : ''}`;
    return finish({ mark: openFailure ? 'fail' : 'warn', summary, decidedBy: ref(chosen.path), delivers: chosen.name });
  }

  // No .qmail (and no extension), or an empty one: qmail-start's argument, with forward-only off.
  if (!chosen || text === null || text === '') {
    const dd = findDefaultDelivery(ctx, notes);
    const why = chosen ? `${chosen.name} is empty` : `no ${names[0] ?? '.qmail'} in ${user.home}`;
    const decidedBy = dd ? dd.from : chosen ? ref(chosen.path) : null;
    if (!dd) {
      const summary = `${why}: qmail-local uses qmail-start's default delivery, which qtrace could not find`;
      return finish({ mark: 'warn', summary, decidedBy, delivers: "qmail-start's default delivery (unknown)", usesDefaultDelivery: true });
    }
    const r = analyseLines(ctx, user, dd.value, false, notes, dd.from?.file ?? null);
    const from = dd.from ? `${dd.from.file}${dd.from.line !== null ? `:${dd.from.line}` : ''}` : '--default-delivery';
    return finish({
      mark: markOf(notes, r.failure !== null, r.lines),
      summary: `${why}: the default delivery "${dd.value.replace(/\n/g, '\\n')}" applies (qmail-start's argument, from ${from})`,
      decidedBy,
      delivers: r.delivers.join(', '),
      failure: r.failure,
      defaultDelivery: dd,
      usesDefaultDelivery: true,
      lines: r.lines,
    });
  }

  const r = analyseLines(ctx, user, text, forwardOnly, notes, chosen.path);
  const failedLine = r.failure ? r.lines[r.lines.length - 1] : undefined;
  const firstInstruction = r.lines.find((l) => l.kind !== 'comment' && l.kind !== 'blank');
  const found = `${chosen.name} in ${user.home}${chosen.index > 0 ? ` (no ${names[0] ?? ''}; $DEFAULT="${defaultEnv ?? ''}")` : ''}`;
  const outcome = r.failure ? `line ${failedLine?.n ?? '?'} fails — ${r.failure.message}` : r.delivers.join(', ') || 'no deliveries';
  return finish({
    mark: markOf(notes, r.failure !== null, r.lines),
    summary: `${found}: ${outcome}`,
    decidedBy: ref(chosen.path, failedLine?.n ?? firstInstruction?.n ?? null),
    delivers: r.delivers.join(', '),
    failure: r.failure,
    lines: r.lines,
  });
}

// ---------------------------------------------------------------- step 5: permissions

interface PermOut {
  readonly step: PermissionsStep;
  /** chdir(home) failing: a parent or home not searchable, or home missing. */
  readonly chdirFailure: Failure | null;
  /** checkhome(): writable or sticky home. */
  readonly homeFailure: Failure | null;
  /** qmeexists(): the .qmail file matching conf-patrn. */
  readonly dotqmailFailure: Failure | null;
}

function stepPermissions(ctx: WalkContext, user: ResolvedUser, chosen: { path: string; st: FsStat } | null): PermOut {
  const notes = new Notes();
  const checks: PathCheck[] = [];
  const { uid, gid } = user;
  let chdirFailure: Failure | null = null;
  let homeFailure: Failure | null = null;
  let dotqmailFailure: Failure | null = null;
  const chdirFail = (errno: string): Failure => ({ kind: 'defer', message: `Unable to switch to ${user.home}: ${errorStr(errno)}. (#4.3.0)` });
  const check = (p: string, role: PathCheck['role'], st: FsStat | null, level: Level, text: string): void => {
    checks.push({ path: p, role, mode: st ? octal(st.mode) : null, uid: st?.uid ?? null, gid: st?.gid ?? null, level, text });
    if (level === 'fail' || level === 'warn') notes.add(level, text, ref(p));
  };

  // Parents, from the system root down (chdir walks them in that order).
  const parents: string[] = [];
  const top = path.resolve(ctx.sysroot);
  if (path.resolve(user.homeOnDisk) !== top)
    for (let d = path.dirname(path.resolve(user.homeOnDisk)); ; d = path.dirname(d)) {
      parents.unshift(d);
      if (d === top || d === path.dirname(d)) break;
    }
  for (const d of parents) {
    const st = ctx.fs.stat(d);
    if (isErr(st)) {
      if (notFound(st.errno)) {
        check(d, 'parent', null, 'fail', `${d} does not exist`);
        chdirFailure ??= chdirFail('ENOENT');
      } else check(d, 'parent', null, 'warn', `cannot examine ${d} (${st.errno})`);
      continue;
    }
    const problems: string[] = [];
    let level: Level = 'ok';
    if (!can(st, uid, gid, 1)) {
      problems.push(`not searchable by uid ${uid}: chdir to the home fails and qmail-local defers`);
      level = 'fail';
      chdirFailure ??= chdirFail('EACCES');
    }
    const writable = st.mode & 0o022;
    if (writable && !(st.mode & 0o1000)) {
      problems.push(`${writable & 0o002 ? 'world' : 'group'}-writable (${octal(st.mode)}): ${writable & 0o002 ? 'anyone' : `members of gid ${st.gid}`} can replace ${user.home}`);
      if (level === 'ok') level = 'warn';
    }
    if (st.uid !== 0 && st.uid !== uid) {
      problems.push(`owned by uid ${st.uid}: that user can replace ${user.home}`);
      if (level === 'ok') level = 'warn';
    }
    check(d, 'parent', st, level, problems.length ? `${d}: ${problems.join('; ')}` : `${d} ${octal(st.mode)} uid ${st.uid}`);
  }

  // The home directory: qmail-local's chdir() and checkhome().
  const hst = ctx.fs.stat(user.homeOnDisk);
  if (isErr(hst)) {
    check(user.homeOnDisk, 'home', null, 'fail', `home ${user.home}: ${errorStr(hst.errno)} — qmail-local defers ("Unable to switch to ${user.home}")`);
    chdirFailure ??= chdirFail(hst.errno);
  } else if (hst.kind !== 'dir') {
    check(user.homeOnDisk, 'home', hst, 'fail', `home ${user.home} is not a directory — qmail-local defers`);
    chdirFailure ??= chdirFail('ENOTDIR');
  } else {
    const problems: string[] = [];
    let level: Level = 'ok';
    if (!can(hst, uid, gid, 1)) {
      problems.push(`not searchable by uid ${uid}: qmail-local cannot chdir there and defers`);
      level = 'fail';
      chdirFailure ??= chdirFail('EACCES');
    }
    if (hst.mode & ctx.patrn) {
      problems.push(`mode ${octal(hst.mode)} has bits of conf-patrn ${octal(ctx.patrn)}: qmail-local defers ("Uh-oh: home directory is writable")`);
      level = 'fail';
      homeFailure ??= { kind: 'defer', message: 'Uh-oh: home directory is writable. (#4.7.0)' };
    } else if (hst.mode & 0o022) {
      problems.push(`${hst.mode & 0o002 ? 'world' : 'group'}-writable (${octal(hst.mode)}): stock qmail (conf-patrn 002) accepts it, a qmail built with conf-patrn 022 defers`);
      if (level === 'ok') level = 'warn';
    }
    if (hst.mode & 0o1000) {
      problems.push('sticky: qmail-local defers ("Home directory is sticky: user is editing his .qmail file")');
      level = 'fail';
      homeFailure ??= { kind: 'defer', message: 'Home directory is sticky: user is editing his .qmail file. (#4.2.1)' };
    }
    if (hst.uid !== uid) {
      problems.push(`owned by uid ${hst.uid}, not by the delivery uid ${uid}`);
      if (level === 'ok') level = 'warn';
    }
    check(user.homeOnDisk, 'home', hst, level, problems.length ? `home ${user.home}: ${problems.join('; ')}` : `home ${user.home} ${octal(hst.mode)} uid ${hst.uid}`);
  }

  if (chosen) {
    const st = chosen.st;
    const name = path.basename(chosen.path);
    const problems: string[] = [];
    let level: Level = 'ok';
    if (st.mode & ctx.patrn) {
      problems.push(`mode ${octal(st.mode)} has bits of conf-patrn ${octal(ctx.patrn)}: qmail-local defers ("Uh-oh: .qmail file is writable")`);
      level = 'fail';
      dotqmailFailure = { kind: 'defer', message: 'Uh-oh: .qmail file is writable. (#4.7.0)' };
    } else if (st.mode & 0o022) {
      problems.push(`${st.mode & 0o002 ? 'world' : 'group'}-writable (${octal(st.mode)}): stock qmail accepts it, conf-patrn 022 defers`);
      level = 'warn';
    }
    if (st.uid !== uid && st.uid !== 0) {
      problems.push(`owned by uid ${st.uid}, not ${uid}: that user controls this address`);
      if (level === 'ok') level = 'warn';
    }
    check(chosen.path, 'dotqmail', st, level, problems.length ? `${name}: ${problems.join('; ')}` : `${name} ${octal(st.mode)} uid ${st.uid}`);
  }

  const failed = chdirFailure ?? homeFailure ?? dotqmailFailure;
  const summary = failed
    ? `qmail-local defers: ${failed.message}`
    : notes.worst === 'warn'
      ? `qmail-local accepts home ${user.home}${chosen ? ` and ${path.basename(chosen.path)}` : ''}, with warnings`
      : `home ${user.home}${chosen ? ` and ${path.basename(chosen.path)}` : ''} and the directories above pass qmail-local's checks`;
  const worstCheck = checks.find((c) => c.level === 'fail') ?? checks.find((c) => c.level === 'warn');
  return {
    step: {
      n: 5,
      kind: 'permissions',
      title: 'Permissions',
      mark: markOf(notes, failed !== null),
      summary,
      decidedBy: worstCheck ? ref(worstCheck.path) : null,
      findings: notes.list,
      data: { checks },
    },
    chdirFailure,
    homeFailure,
    dotqmailFailure,
  };
}

// ---------------------------------------------------------------- step 6: log evidence

function stepEvidence(ctx: WalkContext, addresses: readonly string[]): EvidenceStep {
  const title = 'Log evidence';
  if (!ctx.evidence) return { n: 6, kind: 'evidence', title, mark: 'skip', summary: 'no log database given', decidedBy: null, findings: [], data: null };
  const notes = new Notes();
  const searched = [...new Set(addresses)];
  const deliveries: EvidenceDelivery[] = [];
  const sessions: EvidenceSession[] = [];
  const seenD = new Set<string>();
  const seenS = new Set<string>();
  for (const a of searched) {
    for (const d of ctx.evidence.recentDeliveries(a, ctx.evidenceLimit)) {
      const k = `${d.id}\0${d.to}`;
      if (!seenD.has(k)) {
        seenD.add(k);
        deliveries.push(d);
      }
    }
    for (const s of ctx.evidence.recentSessions(a, ctx.evidenceLimit)) {
      if (!seenS.has(s.id)) {
        seenS.add(s.id);
        sessions.push(s);
      }
    }
  }
  for (const s of sessions) if (s.reply && /^[45]/.test(s.reply)) notes.add('warn', `session ${s.id} from ${s.client} at ${s.start}: ${s.reply}`);
  const latest = deliveries[0];
  let mark: Mark = 'skip';
  let summary = `the log has no deliveries to ${searched.join(' or ')}`;
  if (latest) {
    const o = latest.outcome.toLowerCase();
    mark = /^(success|delivered)/.test(o) ? 'ok' : /^(failure|bounce)/.test(o) ? 'fail' : /^defer/.test(o) ? 'warn' : 'ok';
    summary = `${deliveries.length} recent deliveries; the latest (${latest.queued ?? 'time unknown'}) to ${latest.to}: ${latest.outcome}${latest.reason ? ` — ${latest.reason}` : ''}`;
  }
  return { n: 6, kind: 'evidence', title, mark, summary, decidedBy: null, findings: notes.list, data: { searched, deliveries, sessions } };
}

// ---------------------------------------------------------------- the walk

const skipped = <K extends 'user' | 'dotqmail' | 'permissions', N extends 3 | 4 | 5>(n: N, kind: K, title: string, why: string) =>
  ({ n, kind, title, mark: 'skip' as const, summary: why, decidedBy: null, findings: [] as Finding[], data: null });

export function walk(ctx: WalkContext, input: string): ExplainResult {
  const smtp = stepSmtp(ctx, input);
  const route = stepRoute(ctx, input, smtp.listed, smtp.step.data?.accepted ?? false);
  const r = route.step.data;
  const evidenceFor = r ? [r.rewritten, r.address, input] : [input];

  let user: UserStep = skipped(3, 'user', 'User', 'not a local delivery');
  let dot: DotQmailStep = skipped(4, 'dotqmail', '.qmail file', 'not a local delivery');
  let perms: PermissionsStep = skipped(5, 'permissions', 'Permissions', 'not a local delivery');
  let delivery: Delivery;
  let reason: string;

  if (route.failure) {
    const why = 'qmail-send is not running';
    user = skipped(3, 'user', 'User', why);
    dot = skipped(4, 'dotqmail', '.qmail file', why);
    perms = skipped(5, 'permissions', 'Permissions', why);
    delivery = route.failure.kind;
    reason = route.failure.message;
  } else if (!r || r.channel === 'remote') {
    delivery = 'remote';
    reason = r?.relay ? `qmail-remote sends it to ${r.relay.host}:${r.relay.port} (smtproutes)` : `qmail-remote sends it to the MX of ${r?.domain ?? input}`;
  } else {
    const u = stepUser(ctx, r.localPart ?? '');
    user = u.step;
    if (!u.user || u.failure) {
      const why = 'qmail-lspawn does not get as far as qmail-local';
      dot = skipped(4, 'dotqmail', '.qmail file', why);
      perms = skipped(5, 'permissions', 'Permissions', why);
      delivery = u.failure?.kind ?? 'defer';
      reason = u.failure?.message ?? 'no user';
    } else {
      const d = stepDotQmail(ctx, u.user);
      const p = stepPermissions(ctx, u.user, d.chosen);
      dot = d.step;
      perms = p.step;
      // qmail-local's order: chdir(home), checkhome(), open the .qmail, its mode, then the search result and the lines.
      const first = p.chdirFailure ?? p.homeFailure ?? d.openFailure ?? p.dotqmailFailure ?? d.failure;
      if (first) {
        delivery = first.kind;
        reason = first.message;
      } else {
        delivery = 'delivered';
        const programs = d.step.data?.lines.some((l) => l.kind === 'program') ?? false;
        reason = `qmail-local as ${u.user.user}: ${d.delivers || 'nothing to do'}${programs ? " (if the program's exit code says so)" : ''}`;
      }
    }
  }

  const evidence = stepEvidence(ctx, evidenceFor);
  const refused = !(smtp.step.data?.accepted ?? false);
  const exitCode: 0 | 1 = refused || delivery === 'bounce' || delivery === 'defer' ? 1 : 0;
  return {
    address: input,
    root: ctx.root,
    verdict: { smtp: refused ? 'refused' : 'accepted', delivery, reason },
    exitCode,
    steps: [smtp.step, route.step, user, dot, perms, evidence],
  };
}
