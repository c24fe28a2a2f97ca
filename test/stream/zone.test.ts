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
  it('TZ in glibc\'s forms: a name, a zoneinfo path (which Intl cannot read), "" for UTC; a POSIX rule has no name here', () => {
    withTz(':/etc/localtime', () => expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBeUndefined()); // why this is needed
    withTz('CET-1CEST,M3.5.0,M10.5.0/3', () => expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBe('UTC')); // and this
    const etc = mkdtempSync(join(tmpdir(), 'qtrace-etc-'));
    writeFileSync(join(etc, 'timezone'), 'America/New_York\n');
    expect(systemZoneName('Asia/Tokyo', etc)).toBe('Asia/Tokyo');
    expect(systemZoneName('', etc)).toBe('UTC');
    expect(systemZoneName('UTC0', etc)).toBe('UTC');
    // a rule qtrace cannot read, or a path to nothing: no guess from /etc (it may not be what TZ means)
    expect(systemZoneName('CET-1CEST,M3.5.0,M10.5.0/3', etc)).toBeUndefined();
    expect(systemZoneName('JST-9', etc)).toBeUndefined();
    expect(systemZoneName(':/nowhere/at/all', etc)).toBeUndefined();
    if (!haveZoneinfo) return console.log('zoneinfo paths: skipped, no /usr/share/zoneinfo (Debian: apt-get install tzdata)');
    expect(systemZoneName(`:${join(ZONEINFO, 'Asia', 'Tokyo')}`, etc)).toBe('Asia/Tokyo');
    expect(systemZoneName(join(ZONEINFO, 'posix', 'Asia', 'Tokyo'), etc)).toBe(existsSync(join(ZONEINFO, 'posix')) ? 'Asia/Tokyo' : undefined);
    expect(systemZoneName(join(ZONEINFO, 'right', 'Asia', 'Tokyo'), etc)).toBeUndefined(); // leap seconds: not its plain twin
  });

  it('without TZ: Intl\'s zone, else /etc/localtime\'s link, else /etc/timezone', () => {
    const none = (): undefined => undefined;
    const etc = mkdtempSync(join(tmpdir(), 'qtrace-etc-'));
    expect(systemZoneName(undefined, etc, none)).toBeUndefined();
    writeFileSync(join(etc, 'timezone'), 'America/New_York\n');
    expect(systemZoneName(undefined, etc, none)).toBe('America/New_York');
    expect(systemZoneName(undefined, etc, () => 'Europe/Paris')).toBe('Europe/Paris');
    if (!haveZoneinfo) return console.log('/etc/localtime link: skipped, no /usr/share/zoneinfo');
    symlinkSync(join(ZONEINFO, 'Europe', 'Berlin'), join(etc, 'localtime'));
    expect(systemZoneName(undefined, etc, none)).toBe('Europe/Berlin');
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

  it('under a POSIX TZ rule, local times stop the ingest with one line asking for --tz (Intl would read them as UTC); multilog needs none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qtrace-tz-'));
    const env = { TZ: 'CET-1CEST,M3.5.0,M10.5.0/3' };
    const local = qtrace(['ingest', '--db', join(dir, 'a.db'), '--host', 'vm', LOCAL_SEND], { env });
    expect(local.status).toBe(2);
    expect(local.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^qtrace: these logs have local times, and this machine's time zone has no name qtrace knows \(TZ=CET-1CEST,M3\.5\.0,M10\.5\.0\/3\).*--tz/)]);
    const multilog = qtrace(['ingest', '--db', join(dir, 'b.db'), '--host', 'vm', join(REPO, 'samples', 'send')], { env });
    expect(multilog.status, multilog.stderr).toBe(0);
    const given = qtrace(['ingest', '--db', join(dir, 'c.db'), '--host', 'vm', '--tz', 'Europe/Berlin', LOCAL_SEND], { env });
    expect(given.status, given.stderr).toBe(0);
  });
});
