// bin/qtrace runs the CLI bundle from V8's code cache of it. A cache that is missing, damaged, cut
// short or left from another bundle must change nothing a user sees, and be replaced by a whole one.

import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/lab.js';
import { qtrace } from '../helpers/cli.js';

let root: string;
let db: string;

/** A copy of the package's runnable parts, so that its cache files are this test's own. */
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'qtrace-start-'));
  for (const d of ['bin', 'dist']) mkdirSync(join(root, d));
  for (const f of ['package.json', 'bin/qtrace', 'bin/package.json', 'dist/qtrace.cjs']) copyFileSync(join(REPO, f), join(root, f));
  for (const d of ['node_modules', 'schemas']) symlinkSync(join(REPO, d), join(root, d));
  db = join(root, 'samples.db');
  const r = qtrace(['ingest', '--db', db, '--host', 'vm', ...['send', 'smtpd', 'smtpdr'].map((s) => join(REPO, 'samples', s))]);
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [join(root, 'bin', 'qtrace'), 'show', '--db', db, '--qp', '9373'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

function caches(): string[] {
  return readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.cache')).map((f) => join(root, 'dist', f));
}

/** The one cache file, checked as bin/qtrace checks it: magic, this bundle's crc32, the data's crc32. */
function wholeCache(): Buffer {
  const files = caches();
  expect(files).toHaveLength(1);
  const b = readFileSync(files[0]!);
  expect(b.readUInt32BE(0)).toBe(0x51544331);
  expect(b.readUInt32BE(4)).toBe(crc32(readFileSync(join(root, 'dist', 'qtrace.cjs'))));
  expect(b.readUInt32BE(8)).toBe(crc32(b.subarray(12)));
  expect(b.length).toBeGreaterThan(10_000);
  return b;
}

describe('bin/qtrace and the code cache of its bundle', () => {
  let expected: string;

  it('writes a whole cache on its first run, then runs from it unchanged', () => {
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('qp 9373');
    expected = first.stdout;
    const cache = wholeCache();
    const second = run();
    expect(second.stdout).toBe(expected);
    expect(second.stderr).toBe('');
    expect(readFileSync(caches()[0]!).equals(cache)).toBe(true); // taken, not written again
  });

  it('a damaged cache (one byte of its data changed) is not used, and is replaced', () => {
    const file = caches()[0]!;
    const b = readFileSync(file);
    const at = b.length >> 1;
    b[at] = b[at]! ^ 0xff;
    writeFileSync(file, b);
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
    expect(wholeCache().equals(b)).toBe(false);
  });

  it('a cache cut short, or empty, is not used, and is replaced', () => {
    for (const keep of [100, 0]) {
      const file = caches()[0]!;
      writeFileSync(file, readFileSync(file).subarray(0, keep));
      const r = run();
      expect(r.stdout).toBe(expected);
      wholeCache();
    }
  });

  it("another bundle's cache is not used: a rebuilt bundle gets its own", () => {
    const bundle = join(root, 'dist', 'qtrace.cjs');
    const old = readFileSync(caches()[0]!);
    // the same length: V8 alone would take the old cache for it
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('qtrace: trace qmail messages', 'qtrace: trace qmail Messages'));
    const r = run();
    expect(r.stdout).toBe(expected);
    expect(wholeCache().readUInt32BE(4)).not.toBe(old.readUInt32BE(4));
  });

  // Root writes anywhere: as root, this runs as `nobody` through runuser (util-linux), and skips
  // where that cannot run qtrace.
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const runuser = asRoot && spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0']).status === 0;
  it.skipIf(asRoot && !runuser)('a read-only install runs as well, writes no cache and leaves no file behind (as root: needs runuser)', () => {
    const dist = join(root, 'dist');
    for (const f of caches()) rmSync(f);
    chmodSync(root, 0o755);
    chmodSync(dist, 0o555);
    const store = join(root, 'store'); // the store's dir stays writable: SQLite puts -wal and -shm there
    mkdirSync(store, { mode: 0o777 });
    chmodSync(store, 0o777);
    copyFileSync(db, join(store, 'q.db'));
    chmodSync(join(store, 'q.db'), 0o666);
    try {
      const args = [join(root, 'bin', 'qtrace'), 'show', '--db', join(store, 'q.db'), '--qp', '9373'];
      const env = { ...process.env, NO_COLOR: '1' };
      const r = asRoot ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, ...args], { encoding: 'utf8', env })
        : spawnSync(process.execPath, args, { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(expected);
      expect(r.stderr).toBe('');
      expect(readdirSync(dist).sort()).toEqual(['qtrace.cjs']);
    } finally {
      chmodSync(dist, 0o755);
    }
  });

  it('without its bundle it says so in one line and exits 2', () => {
    rmSync(join(root, 'dist', 'qtrace.cjs'));
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^qtrace: cannot read .*qtrace\.cjs \(ENOENT\): run `npm run build`\n$/);
  });
});
