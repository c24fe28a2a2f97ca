// Step 5: qmail-local's chdir(home) and checkhome(), the .qmail mode, and the directories above home.
import { posix as path } from 'node:path';
import { isErr } from '../config.js';
import type { FsStat, Level, PathCheck, PermissionsStep, ResolvedUser } from '../types.js';
import { Notes, can, errorStr, markOf, notFound, ref } from './shared.js';
import type { Failure, WalkContext } from './shared.js';

const octal = (mode: number): string => '0' + (mode & 0o7777).toString(8).padStart(3, '0');

interface PermOut {
  readonly step: PermissionsStep;
  /** chdir(home) failing: a parent or home not searchable, or home missing. */
  readonly chdirFailure: Failure | null;
  /** checkhome(): writable or sticky home. */
  readonly homeFailure: Failure | null;
  /** qmeexists(): the .qmail file matching conf-patrn. */
  readonly dotqmailFailure: Failure | null;
}

export function stepPermissions(ctx: WalkContext, user: ResolvedUser, chosen: { path: string; st: FsStat } | null): PermOut {
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
