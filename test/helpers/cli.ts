import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './lab.js';

export const BIN = join(REPO, 'bin', 'qtrace');

export function qtrace(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', input: opts.input, env: { ...process.env, NO_COLOR: '1', ...opts.env }, maxBuffer: 1 << 28,
  });
}

export function qtraceAsync(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
