// One measured run in its own process: `count FILE` (bare split2), `ingest DB INPUT...`,
// `pipeline INPUT...`: the ingest's reading, framing, parsing and correlating with no store (each
// commit drains the correlators and keeps nothing), the part of an ingest the store does not cost,
// or `parse INPUT...`: the same with the events dropped, the part the correlators do not cost;
// `ingest-inline DB INPUT...`: the ingest with its reading on the one thread (QTRACE_READER=inline).
import { createReadStream } from 'node:fs';
import split2 from 'split2';
import { AddonCorrelator } from '../../src/correlate/addons.js';
import { Correlator } from '../../src/correlate/correlator.js';
import { SessionCorrelator } from '../../src/correlate/sessions.js';
import { expandInputs } from '../../src/ingest/inputs.js';
import { Pipeline } from '../../src/ingest/pipeline.js';
import { foreign, stagesFor } from '../../src/ingest/programs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import { zoneResolver } from '../../src/ingest/zone.js';
import { openDb } from '../../src/store/db.js';
import { readerChoice } from '../../src/cli/common.js';

const [mode, first, ...rest] = process.argv.slice(2);
if (mode === 'count') {
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    createReadStream(first!).pipe(split2()).on('data', () => { n++; }).on('end', resolve).on('error', reject);
  });
  console.log(`lines=${n}`);
} else if (mode === 'pipeline' || mode === 'parse') {
  const send = Correlator.restore(undefined, []);
  const sessions = new SessionCorrelator();
  const addons = AddonCorrelator.restore((host, ip, at) => sessions.openFrom(host, ip, at), undefined);
  const stages = stagesFor({ send, sessions, addons });
  // parse: the same stages with their events dropped (reading, framing and parsing, no correlator)
  const p = new Pipeline({ host: 'vm', zone: zoneResolver(undefined), foreign,
    stages: mode === 'parse' ? stages.map((st) => ({ ...st, push: () => {} })) : stages });
  let timelines = 0;
  const s = await p.run(expandInputs([first!, ...rest], 'stdin'), {
    position: () => undefined,
    commit: (b) => { timelines += send.drain(b.final).timelines.length; sessions.drain(); addons.drain(b.final); },
  });
  console.log(`qtrace: lines=${s.lines} events=${s.events} timelines=${timelines}`);
} else {
  const db = openDb(first!);
  const r = await ingestToStore(db, expandInputs(rest, 'stdin'), { host: 'vm', reader: mode === 'ingest-inline' ? 'inline' : readerChoice(process.env['QTRACE_READER']) });
  db.close();
  console.log(`qtrace: lines=${r.lines} messages=${r.messagesTouched} sessions=${r.sessions} ` +
    `links=${r.links.exact}+${r.links.inferred} unknown=${r.unknown}`);
}
console.log(`maxrss_kb=${process.resourceUsage().maxRSS}`);
