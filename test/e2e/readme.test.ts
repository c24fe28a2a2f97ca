// The README's examples run as written: every command line of its ```sh blocks, in order, from a
// directory holding the shipped samples, with bin/ on the PATH. Each must exit 0, and each query
// must print something (an example that finds nothing teaches nothing).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/lab.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));

describe('README examples (run as written on the shipped samples)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'qtrace-readme-'));
  symlinkSync(join(REPO, 'samples'), join(cwd, 'samples'));
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', PATH: join(REPO, 'bin') + delimiter + process.env['PATH'] };

  it('has examples of every query command', () => {
    for (const c of ['qtrace ingest', 'qtrace show', 'qtrace messages', 'qtrace sessions', 'qtrace notices']) {
      expect(commands.some((l) => l.includes(c)), c).toBe(true);
    }
  });

  it('every one runs and finds something', () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const line of commands) {
      const exp = /^export (\w+)=(\S+)$/.exec(line);
      if (exp !== null) { env[exp[1]!] = exp[2]!; continue; }
      const r = spawnSync('sh', ['-c', line], { cwd, env, encoding: 'utf8' });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      if (/qtrace ingest/.test(line)) expect(r.stderr, line).toMatch(/^qtrace: \d+ lines, /m);
      else expect(r.stdout.length, `${line} printed nothing`).toBeGreaterThan(0);
    }
  });
});
