// One measured run in its own process: `count FILE` (bare split2) or `ingest DB INPUT...`.
import { createReadStream } from 'node:fs';
import split2 from 'split2';
import { expandInputs } from '../../src/ingest/inputs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import { openDb } from '../../src/store/db.js';

const [mode, first, ...rest] = process.argv.slice(2);
if (mode === 'count') {
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    createReadStream(first!).pipe(split2()).on('data', () => { n++; }).on('end', resolve).on('error', reject);
  });
  console.log(`lines=${n}`);
} else {
  const db = openDb(first!);
  const r = await ingestToStore(db, expandInputs(rest, 'stdin'), { host: 'vm' });
  db.close();
  console.log(`qtrace: lines=${r.lines} messages=${r.messagesTouched} sessions=${r.sessions} ` +
    `links=${r.links.exact}+${r.links.inferred} unknown=${r.unknown}`);
}
console.log(`maxrss_kb=${process.resourceUsage().maxRSS}`);
