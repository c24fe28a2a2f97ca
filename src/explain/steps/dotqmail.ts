// Step 4: qmail-local's .qmail search (qmesearch), the default delivery, and what each line does.
import { posix as path } from 'node:path';
import { asciiLower, decodeUtf8, findQmailStartArg, isErr } from '../config.js';
import type { DefaultDelivery, DotQmailStep, FsStat, Level, Mark, QmailLine, ResolvedUser, SearchedFile, SourceRef } from '../types.js';
import { Notes, can, ctl, errorStr, markOf, notFound, ref, sys } from './shared.js';
import type { Failure, WalkContext } from './shared.js';

const NO_MAILBOX = 'Sorry, no mailbox here by that name. (#5.1.1)';
const PROGRAM_EXITS = 'run by /bin/sh -c: exit 0 = delivered, 99 = delivered and stop, 100 (and 64, 65, 70, 76, 77, 78, 112) = bounce, anything else = deferral';

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

export function stepDotQmail(ctx: WalkContext, user: ResolvedUser): DotQmailOut {
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
