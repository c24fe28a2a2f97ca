// Plesk's qmail handlers and filters: samples parse to the right event, no other shape of the
// project takes them, and the public maillog excerpts (test/public, PROVENANCE.md) parse whole.

import { describe, expect, it } from 'vitest';
import { parsePlesk, PLESK_FORMATS } from '../../parsers/plesk.js';
import { recogniseNotQmail } from '../../parsers/not-qmail.js';
import { publicText } from '../helpers/lab.js';
import { syslogParts, takers } from './addons/shapes.js';

function lines(name: string): string[] {
  return publicText(name).split('\n').filter((l) => l !== '');
}

describe('PLESK_FORMATS', () => {
  it('anchored, named uniquely, every shape has samples', () => {
    const names = PLESK_FORMATS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { format: f } of PLESK_FORMATS) {
      expect(f.pattern.source.startsWith('^'), f.name).toBe(true);
      expect(f.pattern.source.endsWith('$'), f.name).toBe(true);
      expect(f.samples.length, f.name).toBeGreaterThan(0);
    }
  });

  for (const p of PLESK_FORMATS) {
    it(`${p.name}: its samples are taken by it alone and parse under a ${p.family} tag`, () => {
      const tag = p.family === 'handlers' ? 'qmail-queue-handlers' : 'greylisting filter';
      for (const s of p.format.samples) {
        expect(takers(s), s).toEqual([p.name]);
        expect(parsePlesk(s, tag, 4242), s).toBeDefined();
      }
    });
  }

  it("every 'real' sample is a line of a public excerpt", () => {
    const texts = new Set<string>();
    for (const f of ['plesk-forum-2009-bare-lf-maillog.log', 'reliablepenguin-2012-plesk10-greylist-maillog.log',
      'plesk-kb-greylisting-delay-maillog.log', 'plesk11-blog-local-remote-handlers.log',
      'hostingraja-plesk-maillog-local-handlers.log', 'plesk-forum-2018-handlers-colons-lost.log',
      'github-setec-check-email-loop-5-plesk-sendmail.log']) {
      for (const l of lines(f)) {
        texts.add(l);
        const m = /^(?:[A-Z][a-z]+ +\d+ [\d:]+ \S+ )?[^[]*\[\d+\]:? (?<t>.*)$/.exec(l);
        if (m?.groups?.['t'] !== undefined) texts.add(m.groups['t']);
      }
    }
    for (const p of PLESK_FORMATS.filter((g) => g.format.provenance === 'real')) {
      for (const s of p.format.samples) expect(texts.has(s), s).toBe(true);
    }
  });
});

describe('qmail-queue-handlers: its pid is the qp', () => {
  it('reliablepenguin (Plesk 10): the grey handler REJECTs; every qmail line parses with qp = pid', () => {
    const evs = lines('reliablepenguin-2012-plesk10-greylist-maillog.log').map((l) => {
      const p = syslogParts(l);
      return parsePlesk(p?.text ?? '', p?.tag, p?.pid);
    });
    expect(evs).toEqual([
      { kind: 'plesk_to', stage: 'queue', addr: 'test@technicorp.net', program: 'qmail-queue-handlers', pid: 25914, qp: 25914 },
      { kind: 'plesk_filter_start', filter: 'greylisting', program: 'greylisting filter', pid: 25916, qp: null },
      { kind: 'plesk_grey_match', list: 'black', from: 'db3outboundpool.messaging.microsoft.com', match: 'dsl|pool|broadband|hsd',
        program: 'greylisting filter', pid: 25916, qp: null },
      { kind: 'plesk_stderr', stage: 'queue', verdict: 'REJECT', program: 'qmail-queue-handlers', pid: 25914, qp: 25914 },
      { kind: 'plesk_verdict', stage: 'queue', verdict: 'REJECT', handler: 'grey', program: 'qmail-queue-handlers', pid: 25914, qp: 25914 },
    ]);
  });

  it('the tag may still be on the text (the frame cannot split `greylisting filter[PID]:`)', () => {
    expect(parsePlesk('greylisting filter[10489]: Starting greylisting filter...'))
      .toEqual({ kind: 'plesk_filter_start', filter: 'greylisting', program: 'greylisting filter', pid: 10489, qp: null });
    expect(parsePlesk('qmail-queue-handlers[10036]: handlers_stderr: DEFER'))
      .toMatchObject({ kind: 'plesk_stderr', verdict: 'DEFER', qp: 10036 });
  });

  it('Plesk 9 forum: mailbox and smtpd timeout lines', () => {
    const [mailbox, timeout, , pop3d] = lines('plesk-forum-2009-bare-lf-maillog.log').map((l) => syslogParts(l));
    expect(parsePlesk(mailbox?.text ?? '', mailbox?.tag, mailbox?.pid)).toEqual({
      kind: 'plesk_mailbox', stage: 'local', path: '/var/qmail/mailnames/my-domain.co.uk/meg',
      program: 'qmail-local-handlers', pid: 9962, qp: null,
    });
    expect(parsePlesk(timeout?.text ?? '', timeout?.tag, timeout?.pid)).toMatchObject({
      kind: 'plesk_smtpd_timeout', stage: 'queue', qp: 10036 });
    // Courier's pop3d shares the file: not Plesk's, but "not qmail"
    expect(parsePlesk(pop3d?.text ?? '', pop3d?.tag, pop3d?.pid)).toBeUndefined();
    expect(recogniseNotQmail(pop3d?.tag, pop3d?.text ?? '')).toEqual({ kind: 'not_qmail', program: 'courier' });
  });
});

describe('qmail-local-handlers and qmail-remote-handlers', () => {
  it('Plesk 11 blog: start, from, to by stage; no qp (their pid is a delivery child)', () => {
    const evs = lines('plesk11-blog-local-remote-handlers.log').map((l) => parsePlesk(l));
    expect(evs.every((e) => e !== undefined && e.qp === null)).toBe(true);
    expect(evs.slice(0, 6).map((e) => e === undefined ? '' : `${e.kind}:${'stage' in e ? e.stage : ''}:${e.pid}`)).toEqual([
      'plesk_start:remote:15670', 'plesk_start:local:15669', 'plesk_from:local:15669', 'plesk_from:remote:15670',
      'plesk_to:remote:15670', 'plesk_to:local:15669',
    ]);
    expect(evs[5]).toMatchObject({ addr: 'info@clientsdomain.com.au' });
  });

  it('an empty from= is the null sender', () => {
    const [, from] = lines('hostingraja-plesk-maillog-local-handlers.log').map((l) => /(\S+)\[(\d+)\]: (.*)$/.exec(l));
    expect(parsePlesk(from?.[3] ?? '', from?.[1], Number(from?.[2]))).toMatchObject({ kind: 'plesk_from', addr: '', stage: 'local' });
  });
});

describe('plesk-sendmail', () => {
  it("PHP mail()'s sendmail: its own S<pid> id and text", () => {
    const l = publicText('github-setec-check-email-loop-5-plesk-sendmail.log').trim();
    expect(parsePlesk(l)).toEqual({ kind: 'plesk_sendmail', id: 3207, text: 'Unable to prepare arguments for mail handlers.',
      program: 'plesk-sendmail', pid: 3207, qp: null });
  });
});

describe('robustness', () => {
  it('texts under other tags are not Plesk', () => {
    expect(parsePlesk('from=a@b', 'postfix/qmgr')).toBeUndefined();
    expect(parsePlesk('to=x@y')).toBeUndefined();
    expect(parsePlesk('qmail-queue[29668]: dwlib fd connect() failed - Connection refused')).toBeUndefined();
    expect(parsePlesk('REJECT during call grey handler', 'qmail-queue-handlers')).toBeUndefined();
  });
});
