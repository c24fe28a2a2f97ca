// Wires the pipeline to the SQLite sink: each commit point is one transaction holding the data
// and the state it leads to, so a rerun or a kill neither loses nor duplicates anything.

import type { Framing } from '../../parsers/frame.js';
import type { CorrelatorSnapshot } from '../correlate/correlator.js';
import type { Db } from '../store/db.js';
import { StoreWriter } from '../store/writer.js';
import type { InputFile } from './inputs.js';
import { Pipeline, type IngestStats, type ReaderState } from './pipeline.js';
import { zoneResolver } from './zone.js';

export interface IngestOptions {
  readonly host: string;
  readonly tz?: string | undefined;
  readonly format?: Framing | undefined;
  readonly commitLines?: number;
}

export interface IngestResult extends IngestStats {
  readonly messagesTouched: number;
  readonly openMessages: number;
}

export async function ingestToStore(db: Db, groups: readonly (readonly InputFile[])[], opts: IngestOptions): Promise<IngestResult> {
  const w = new StoreWriter(db);
  const corr = w.getState<CorrelatorSnapshot>('correlator');
  const reader = w.getState<ReaderState>('reader');
  const p = new Pipeline({ host: opts.host, zone: zoneResolver(opts.tz), format: opts.format,
    ...(opts.commitLines === undefined ? {} : { commitLines: opts.commitLines }) }, corr, reader);
  const files = groups.flat();
  await p.run(groups, {
    alreadyRead: (f: InputFile) => f.path !== '-' && w.fileSize(f.path, f.identity) === f.size,
    commit: (b) => {
      w.transaction(() => {
        w.output(b.output);
        for (const u of b.unknowns) w.unknown(u);
        w.putState('correlator', b.correlator);
        w.putState('reader', b.reader);
        if (b.final) {
          for (const f of files) {
            if (f.path !== '-') w.fileDone({ path: f.path, identity: f.identity, size: f.size, lines: 0, lastUs: null });
          }
        }
      });
    },
  });
  return { ...p.stats, messagesTouched: p.correlator.stats.messagesOpened, openMessages: p.correlator.openCount() };
}
