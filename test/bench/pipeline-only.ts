// The pipeline and the correlators without the store: how much of an ingest is reading,
// framing, parsing and correlating (node dist/test/bench/pipeline-only.js FILE...).
import { expandInputs } from '../../src/ingest/inputs.js';
import { Pipeline } from '../../src/ingest/pipeline.js';
import { foreign, stagesFor } from '../../src/ingest/programs.js';
import { zoneResolver } from '../../src/ingest/zone.js';
import { Correlator } from '../../src/correlate/correlator.js';
import { SessionCorrelator } from '../../src/correlate/sessions.js';

const send = new Correlator();
const sessions = new SessionCorrelator();
const p = new Pipeline({ host: 'vm', zone: zoneResolver(undefined), stages: stagesFor({ send, sessions }), foreign });
let timelines = 0;
const t0 = process.hrtime.bigint();
const stats = await p.run(expandInputs(process.argv.slice(2), 'stdin'), {
  position: () => undefined,
  commit: (b) => { timelines += send.drain(b.final).timelines.length; sessions.drain(); send.snapshot(); },
});
const cpu = process.cpuUsage();
console.log(`cpu=${((cpu.user + cpu.system) / 1e6).toFixed(2)} s lines=${stats.lines} events=${stats.events} timelines=${timelines} ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)} s maxrss_kb=${process.resourceUsage().maxRSS}`);
