// Test helpers for `qtrace explain`: a cdb writer (independent of src/explain/cdb.ts, so the
// reader is checked against a second implementation), qmail-newu's key/data layout, and a
// builder for throw-away qmail trees under os.tmpdir().
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LAB } from '../helpers/lab.js';

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

const enc = new TextEncoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);

function hash(key: Uint8Array): number {
  let h = 5381;
  for (const c of key) h = (Math.imul(h, 33) ^ c) >>> 0;
  return h;
}

/** DJB's cdbmake layout: header of 256 (pos,len) pairs, records, then tables of 2×count slots. */
export function writeCdb(records: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  const body: number[] = [];
  const u32 = (out: number[], n: number): void => {
    out.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
  };
  const buckets: Array<Array<{ h: number; pos: number }>> = Array.from({ length: 256 }, () => []);
  let pos = 2048;
  for (const [k, d] of records) {
    const h = hash(k);
    buckets[h & 255]?.push({ h, pos });
    u32(body, k.length);
    u32(body, d.length);
    body.push(...k, ...d);
    pos += 8 + k.length + d.length;
  }
  const header: number[] = [];
  const tables: number[] = [];
  for (const b of buckets) {
    const len = b.length * 2;
    u32(header, pos + tables.length);
    u32(header, len);
    const slots: Array<{ h: number; pos: number }> = Array.from({ length: len }, () => ({ h: 0, pos: 0 }));
    for (const e of b) {
      let i = (e.h >>> 8) % len;
      while ((slots[i]?.pos ?? 0) !== 0) i = (i + 1) % len;
      slots[i] = e;
    }
    for (const s of slots) {
      u32(tables, s.h);
      u32(tables, s.pos);
    }
  }
  return Uint8Array.from([...header, ...body, ...tables]);
}

/** What qmail-newu writes for a users/assign text (same rules, written independently). */
export function newuCdb(assign: string): Uint8Array {
  const records: Array<readonly [Uint8Array, Uint8Array]> = [];
  let wild = '';
  for (const line of assign.split('\n')) {
    if (line.startsWith('.')) break;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`bad assign line: ${line}`);
    const name = line.slice(1, i).toLowerCase();
    const fields = line.slice(i + 1).split(':').slice(0, 6);
    if (line[0] === '+' && i >= 2 && !wild.includes(line[i - 1] ?? '')) wild += line[i - 1];
    records.push([bytes('!' + name + (line[0] === '+' ? '' : '\0')), bytes(fields.join('\0'))]);
  }
  records.push([new Uint8Array(0), bytes(wild)]);
  return writeCdb(records);
}

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** A throw-away system root with a qmail tree at <sys>/var/qmail. */
export class Tree {
  readonly sys: string;
  readonly root: string;

  constructor() {
    this.sys = mkdtempSync(join(tmpdir(), 'qtrace-explain-'));
    chmodSync(this.sys, 0o755); // mkdtemp makes it 0700: the delivery uids must be able to pass
    this.root = join(this.sys, 'var/qmail');
    this.dir('/var/qmail/control');
    this.dir('/var/qmail/users');
  }

  /** Path on disk of a system path. */
  p(sysPath: string): string {
    return join(this.sys, sysPath);
  }

  /** mkdir -p with mode 0755 for every created level; optionally chown the last one. */
  dir(sysPath: string, mode = 0o755, owner?: Owner): string {
    const full = this.p(sysPath);
    mkdirSync(full, { recursive: true, mode });
    chmodSync(full, mode);
    if (owner) this.chown(full, owner);
    return full;
  }

  file(sysPath: string, content: string | Uint8Array, mode = 0o644, owner?: Owner): string {
    const full = this.p(sysPath);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    writeFileSync(full, content);
    chmodSync(full, mode);
    if (owner) this.chown(full, owner);
    return full;
  }

  control(name: string, content: string): string {
    return this.file(`/var/qmail/control/${name}`, content);
  }

  /** maildirmake as `owner`: missing parent directories are created 0700 and owned by `owner` too. */
  maildir(sysPath: string, owner?: Owner): void {
    const parts = sysPath.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = '/' + parts.slice(0, i).join('/');
      if (!existsSync(this.p(p))) this.dir(p, 0o700, owner);
    }
    for (const sub of ['new', 'cur', 'tmp']) this.dir(join(sysPath, sub), 0o700, owner);
  }

  chown(full: string, owner: Owner): void {
    if (IS_ROOT) chownSync(full, owner.uid, owner.gid);
  }

  /** Set a file's mtime (seconds since the epoch). */
  touch(sysPath: string, seconds: number): void {
    utimesSync(this.p(sysPath), seconds, seconds);
  }

  /** users/assign plus the cdb qmail-newu would make of it (cdb 10 s newer unless told). */
  assign(text: string, opts: { cdbFrom?: string; cdbAge?: number } = {}): void {
    this.file('/var/qmail/users/assign', text);
    this.file('/var/qmail/users/cdb', newuCdb(opts.cdbFrom ?? text));
    const now = Math.floor(Date.now() / 1000);
    const age = opts.cdbAge ?? 10;
    this.touch('/var/qmail/users/assign', now);
    this.touch('/var/qmail/users/cdb', now + age);
  }

  cleanup(): void {
    rmSync(this.sys, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the lab's qmail

export { LAB };

/** The lab's INSTALL.ids users plus tammy, sam and vmail (README "Configuration used"). */
export const LAB_USERS: ReadonlyArray<{ readonly name: string; readonly uid: number; readonly home: string }> = [
  { name: 'alias', uid: 1001, home: '/var/qmail/alias' },
  { name: 'qmaild', uid: 1002, home: '/var/qmail' },
  { name: 'qmaill', uid: 1003, home: '/var/qmail' },
  { name: 'qmailp', uid: 1004, home: '/var/qmail' },
  { name: 'qmailq', uid: 1005, home: '/var/qmail' },
  { name: 'qmailr', uid: 1006, home: '/var/qmail' },
  { name: 'qmails', uid: 1007, home: '/var/qmail' },
  { name: 'tammy', uid: 1008, home: '/home/tammy' },
  { name: 'sam', uid: 1009, home: '/home/sam' },
  { name: 'vmail', uid: 1010, home: '/var/vmail' },
];

/** A lab user's uid/gid and home; without root (no chown) every account maps to our own uid. */
export function labUser(name: string): Owner & { readonly home: string } {
  const u = LAB_USERS.find((x) => x.name === name);
  if (!u) throw new Error(`no lab user ${name}`);
  const uid = IS_ROOT ? u.uid : (process.getuid?.() ?? u.uid);
  return { uid, gid: uid, home: u.home };
}

const mailUserOf = (p: string) => LAB_USERS.filter((u) => u.home !== '/var/qmail').find((u) => p === u.home || p.startsWith(u.home + '/'));

export interface LabEntry {
  readonly name: string;
  readonly body: string;
}

/** The `--- name` entries of the fenced blocks under the README's configuration headings. */
export function labConfig(readme: string): LabEntry[] {
  const out: LabEntry[] = [];
  for (const heading of ['## Configuration used', '### Configuration added']) {
    const at = readme.indexOf(heading);
    if (at < 0) throw new Error(`README has no "${heading}"`);
    const open = readme.indexOf('```\n', at);
    const close = readme.indexOf('\n```', open + 4);
    let cur: { name: string; lines: string[] } | null = null;
    const flush = (): void => {
      if (cur) out.push({ name: cur.name, body: cur.lines.join('\n').replace(/\n+$/, '') + '\n' });
    };
    for (const line of readme.slice(open + 4, close + 1).split('\n')) {
      if (line.startsWith('--- ')) {
        flush();
        cur = { name: line.slice(4).trim().split(/\s+/)[0] ?? '', lines: [] };
      } else cur?.lines.push(line);
    }
    flush();
  }
  return out;
}

/** The lab's qmail rebuilt in a temp dir; `entries` lists the README entries that were written. */
export function buildLabTree(): { readonly tree: Tree; readonly entries: readonly string[] } {
  const t = new Tree();
  const entries: string[] = [];
  const passwd = LAB_USERS.map((u) => {
    const o = labUser(u.name);
    return `${u.name}:x:${o.uid}:${o.gid}::${u.home}:/bin/sh`;
  });
  t.file('/etc/passwd', ['root:x:0:0:root:/root:/bin/bash', ...passwd].join('\n') + '\n');
  t.dir('/root', 0o700);
  t.file('/bin/true', '#!/bin/sh\nexit 0\n', 0o755);
  for (const u of ['tammy', 'sam']) t.dir(`/home/${u}`, 0o755, labUser(u));
  t.dir('/var/vmail', 0o755, labUser('vmail'));
  t.dir('/var/qmail/alias', 0o2755, labUser('alias'));

  for (const { name, body } of labConfig(readFileSync(join(LAB, 'README.md'), 'utf8'))) {
    let target: string | null = null;
    if (name.startsWith('control/')) target = `/var/qmail/${name}`;
    else if (name === 'users/assign') {
      // "(then qmail-newu)": the cdb is built, and is newer. Without root the uids become ours.
      t.assign(body.replace(/^([=+][^:]*:)([^:]*):\d+:\d+:/gm, (_, k: string, u: string) => `${k}${u}:${labUser(u).uid}:${labUser(u).gid}:`));
      entries.push(name);
      continue;
    } else if (name.startsWith('~')) {
      const [user, ...rest] = name.slice(1).split('/');
      target = `${labUser(user ?? '').home}/${rest.join('/')}`;
    } else if (name.startsWith('/')) target = name;
    if (target === null) continue; // lab/rsyslog.conf and the like
    entries.push(name);
    const u = mailUserOf(target);
    const o = u ? labUser(u.name) : undefined;
    t.file(target, body, target.includes('/supervise/') ? 0o755 : 0o644, o);
    // The mailboxes the .qmail files name existed in the lab (maildirmake, or the first delivery).
    if (o && /\/\.qmail[^/]*$/.test(target))
      for (const line of body.split('\n')) {
        if (!line.startsWith('./')) continue;
        const p = `${o.home}/${line.slice(2)}`;
        if (line.endsWith('/')) t.maildir(p, o);
        else t.file(p, '', 0o600, o);
      }
  }
  return { tree: t, entries };
}
