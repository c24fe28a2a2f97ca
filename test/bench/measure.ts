// One measured run in its own process: `count FILE` (bare split2) or `ingest FILE DB`.
import { createReadStream } from 'node:fs';
import split2 from 'split2';
import { expandInputs } from '../../src/ingest/inputs.js';
import { ingestToStore } from '../../src/ingest/to-store.js';
import { openDb } from '../../src/store/db.js';

const [mode, file, dbPath] = process.argv.slice(2);
if (mode === 'count') {
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    createReadStream(file!).pipe(split2()).on('data', () => { n++; }).on('end', resolve).on('error', reject);
  });
  console.log(`lines=${n}`);
} else {
  const db = openDb(dbPath!);
  const r = await ingestToStore(db, expandInputs([file!], 'stdin'), { host: 'vm' });
  db.close();
  console.log(`qtrace: lines=${r.lines} messages=${r.messagesTouched} unknown=${r.unknown}`);
}
console.log(`maxrss_kb=${process.resourceUsage().maxRSS}`);
