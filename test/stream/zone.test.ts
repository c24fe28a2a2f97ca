// The machine's own time zone, for logs with zone-less local times: found where Intl does not
// look (glibc's `TZ=:/etc/localtime`), asked for only when a local time needs it, and a run that
// cannot name it stops with one line instead of guessing.

import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Correlator } from '../../src/correlate/correlator.js';
import { SessionCorrelator } from '../../src/correlate/sessions.js';
import { expandInputs } from '../../src/ingest/inputs.js';
import { Pipeline } from '../../src/ingest/pipeline.js';
import { foreign, stagesFor } from '../../src/ingest/programs.js';
import { systemZoneName, zoneResolver } from '../../src/ingest/zone.js';
import { QtraceError } from '../../src/util/errors.js';
import { qtrace } from '../helpers/cli.js';
import { LAB, REPO } from '../helpers/lab.js';

const ZONEINFO = '/usr/share/zoneinfo';
const haveZoneinfo = existsSync(join(ZONEINFO, 'Europe', 'Berlin'));
const LOCAL_SEND = join(LAB, 'd2-local-time', 'logs', 'send.tai64nlocal-Europe-Berlin');

/** Runs f with TZ set as given (Node rereads it when it changes), then puts it back. */
function withTz<T>(tz: string, f: () => T): T {
  const was = process.env['TZ'];
  process.env['TZ'] = tz;
  try { return f(); } finally { if (was === undefined) delete process.env['TZ']; else process.env['TZ'] = was; }
}

describe('the machine\'s time zone', () => {
  it('Intl cannot read glibc\'s TZ=:PATH; the path, /etc/localtime\'s link or /etc/timezone name the zone', () => {
    withTz(':/nowhere/at/all', () => {
      expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBeUndefined(); // why the rest is needed
      const etc = mkdtempSync(join(tmpdir(), 'qtrace-etc-'));
      expect(systemZoneName(process.env['TZ'], etc)).toBeUndefined();
      writeFileSync(join(etc, 'timezone'), 'America/New_York\n');
      expect(systemZoneName(process.env['TZ'], etc)).toBe('America/New_York');
      if (!haveZoneinfo) return console.log('zoneinfo links: skipped, no /usr/share/zoneinfo (Debian: apt-get install tzdata)');
      symlinkSync(join(ZONEINFO, 'Europe', 'Berlin'), join(etc, 'localtime'));
      expect(systemZoneName(process.env['TZ'], etc)).toBe('Europe/Berlin');
      expect(systemZoneName(`:${join(ZONEINFO, 'Asia', 'Tokyo')}`, etc)).toBe('Asia/Tokyo');
      expect(systemZoneName('Asia/Tokyo', etc)).toBe('Asia/Tokyo');
    });
    expect(systemZoneName('UTC')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('is looked up only when a local time needs it; none found is one clear error, not a guess', () => {
    let asked = 0;
    const zone = zoneResolver(undefined, () => { asked++; return undefined; });
    expect(asked).toBe(0);
    expect(() => zone.offsetMinutes(Date.UTC(2026, 10, 25))).toThrow(QtraceError);
    expect(() => zone.offsetMinutes(Date.UTC(2026, 10, 25))).toThrow(/this machine's time zone has no name qtrace knows/);
    expect(() => zoneResolver('Mars/Olympus')).toThrow(/unknown time zone: Mars\/Olympus/);
  });

  it('a run over local times with no zone to read them stops (it does not skip the file and go on)', async () => {
    const send = new Correlator();
    const p = new Pipeline({ host: 'vm', zone: zoneResolver(undefined, () => undefined),
      stages: stagesFor({ send, sessions: new SessionCorrelator() }), foreign });
    const run = p.run(expandInputs([LOCAL_SEND], 'stdin'), { position: () => undefined, commit: () => undefined });
    await expect(run).rejects.toMatchObject({ code: 'BAD_TZ' });
  });

  it('qtrace with TZ=:/etc/localtime ingests (it refused every log before), and reads local times as --tz does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtrace-tz-'));
    const r = qtrace(['ingest', '--db', join(dir, 'a.db'), '--host', 'vm', join(REPO, 'samples', 'send')], { env: { TZ: ':/etc/localtime' } });
    expect(r.status, r.stderr).toBe(0);
    if (!haveZoneinfo) return console.log('local times under TZ=:PATH: skipped, no /usr/share/zoneinfo');
    const byTz = qtrace(['ingest', '--db', join(dir, 'b.db'), '--host', 'vm', '--tz', 'Europe/Berlin', LOCAL_SEND]);
    const byPath = qtrace(['ingest', '--db', join(dir, 'c.db'), '--host', 'vm', LOCAL_SEND], { env: { TZ: `:${ZONEINFO}/Europe/Berlin` } });
    expect(byTz.status, byTz.stderr).toBe(0);
    expect(byPath.status, byPath.stderr).toBe(0);
    const list = (db: string): string => qtrace(['messages', '--db', join(dir, db), '--json', '--limit', '0']).stdout;
    expect(list('c.db').length).toBeGreaterThan(1000);
    expect(list('c.db')).toBe(list('b.db'));
  });
});
