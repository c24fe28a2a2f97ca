// samples/service: the daemontools run scripts parse, are executable and run setuidgid/multilog;
// the systemd unit passes `systemd-analyze verify` (but for the qtrace binary, not installed here).

import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/lab.js';

const DT = join(REPO, 'samples', 'service', 'daemontools', 'qtrace');
const UNIT = join(REPO, 'samples', 'service', 'systemd', 'qtrace.service');
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('service files', () => {
  it('daemontools: run and log/run are executable sh scripts', () => {
    for (const f of [join(DT, 'run'), join(DT, 'log', 'run')]) {
      expect(statSync(f).mode & 0o111, f).toBe(0o111);
      expect(spawnSync('sh', ['-n', f]).status, f).toBe(0);
    }
    const run = readFileSync(join(DT, 'run'), 'utf8');
    expect(run).toMatch(/exec setuidgid qtrace\b/);
    expect(run).toMatch(/--db \/var\/lib\/qtrace\/qtrace\.db/);
    expect(run).toMatch(/--metrics 127\.0\.0\.1:\d+/);
    expect(readFileSync(join(DT, 'log', 'run'), 'utf8')).toMatch(/exec setuidgid \w+ multilog t /);
  });

  it.skipIf(!haveAnalyze)('systemd: the unit verifies', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    const complaints = (r.stderr + r.stdout).split('\n').filter((l) => l.trim() !== '' && !/\/usr\/local\/bin\/qtrace is not executable/.test(l));
    expect(complaints).toEqual([]);
    expect(readFileSync(UNIT, 'utf8')).toMatch(/^ExecStart=\/usr\/local\/bin\/qtrace follow --db \/var\/lib\/qtrace\/qtrace\.db .*--metrics 127\.0\.0\.1:\d+/m);
  });
});
