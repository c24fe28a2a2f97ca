// Step 3: the user qmail-lspawn delivers as: users/cdb (nughde_get), else qmail-getpw (passwd, alias).
import { posix as path } from 'node:path';
import { Cdb, CdbError } from '../cdb.js';
import { asciiLower, decodeUtf8, encodeUtf8, isErr, readAssign, readPasswd } from '../config.js';
import type { AssignFile, PasswdFile } from '../config.js';
import type { ResolvedUser, SourceRef, UserCandidate, UserStep } from '../types.js';
import { Notes, errorStr, markOf, ref, sys } from './shared.js';
import type { Failure, WalkContext } from './shared.js';

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

export function stepUser(ctx: WalkContext, local: string): UserOut {
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
