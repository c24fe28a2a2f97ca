// `qtrace explain ADDRESS`: trace one address through qmail's configuration.
import { posix as path } from 'node:path';
import { isErr, nodeFs } from './config.js';
import { ExplainUsageError } from './types.js';
import type { ExplainOptions, ExplainResult } from './types.js';
import { walk } from './walk.js';

export { formatExplain } from './format.js';
export { ExplainUsageError } from './types.js';
export type {
  EvidenceDelivery,
  EvidenceSession,
  EvidenceSource,
  ExplainOptions,
  ExplainResult,
  FsErr,
  FsPort,
  FsStat,
  Step,
  Verdict,
} from './types.js';

/**
 * Walk the checklist for one address. Read-only; a missing or unreadable qmail file is a finding
 * in the result. Throws ExplainUsageError for an empty address or a missing root / sysroot.
 */
export function explain(address: string, opts: ExplainOptions = {}): ExplainResult {
  const fs = opts.fs ?? nodeFs;
  let addr = address.trim();
  if (addr.startsWith('<') && addr.endsWith('>')) addr = addr.slice(1, -1);
  if (addr === '') throw new ExplainUsageError('explain: the address is empty');

  const sysroot = path.resolve(opts.sysroot ?? '/');
  const root = path.resolve(opts.root ?? path.join(sysroot, 'var/qmail'));
  for (const [what, dir] of [
    ['system root (--sysroot)', sysroot],
    ['qmail root (--root)', root],
  ] as const) {
    const st = fs.stat(dir);
    if (isErr(st)) throw new ExplainUsageError(`explain: ${what} ${dir}: ${st.errno === 'ENOENT' ? 'no such directory' : st.errno}`);
    if (st.kind !== 'dir') throw new ExplainUsageError(`explain: ${what} ${dir} is not a directory`);
  }
  const patrn = opts.patrn ?? 0o002;
  if (!Number.isInteger(patrn) || patrn < 0 || patrn > 0o7777) throw new ExplainUsageError(`explain: bad conf-patrn value ${String(opts.patrn)}`);
  const limit = opts.evidenceLimit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) throw new ExplainUsageError(`explain: bad evidence limit ${String(opts.evidenceLimit)}`);

  return walk(
    {
      fs,
      root,
      sysroot,
      passwd: path.resolve(opts.passwd ?? path.join(sysroot, 'etc/passwd')),
      patrn,
      relayclient: opts.relayclient ?? false,
      defaultDelivery: opts.defaultDelivery,
      evidence: opts.evidence,
      evidenceLimit: limit,
    },
    addr,
  );
}
