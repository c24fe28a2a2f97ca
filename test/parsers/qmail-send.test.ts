import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../parsers/report.js';
import { parseSendText, queueOf, SEND_FORMATS } from '../../parsers/qmail-send.js';
import { LAB, PUBLIC } from '../helpers/lab.js';

describe('qmail-send formats as data', () => {
  it('every sample matches its own shape and no other', () => {
    for (const f of SEND_FORMATS) {
      expect(f.samples.length, f.name).toBeGreaterThan(0);
      for (const s of f.samples) {
        const matching = SEND_FORMATS.filter((g) => g.pattern.test(s)).map((g) => g.name);
        expect(matching, s).toEqual([f.name]);
      }
    }
  });

  it('parses every line of the b1 qmail-send log (679 real lines)', () => {
    const lines = readFileSync(join(LAB, 'b1-scenarios/logs/send/current'), 'utf8').split('\n').filter((l) => l !== '');
    const kinds = new Map<string, number>();
    for (const l of lines) {
      const ev = parseSendText(l.slice(26));
      expect(ev, l).toBeDefined();
      kinds.set(ev!.kind, (kinds.get(ev!.kind) ?? 0) + 1);
    }
    expect(lines.length).toBe(679);
    expect(kinds.get('triple_bounce')).toBe(1);
    expect(kinds.get('new_msg')).toBe(kinds.get('end_msg'));
  });

  it('reads the 2003 public log, s/qmail and the indimail multi-queue suffix', () => {
    const plover = readFileSync(join(PUBLIC, 'hop-mjd-plover-qmail-send-multilog-2003.log'), 'utf8').split('\n')
      .filter((l) => l.startsWith('@'));
    for (const l of plover) expect(parseSendText(l.slice(26)), l).toBeDefined();
    expect(parseSendText('starting delivery 1.5: msg 1209359 to local postmaster@example.com queue5'))
      .toMatchObject({ kind: 'delivery_start', did: 1, msg: 1209359, to: 'postmaster@example.com' });
    // the queue is the last word, `queue` and digits; anything else is no queue
    expect(queueOf('starting delivery 1.5: msg 1209359 to local postmaster@example.com queue5')).toBe('queue5');
    expect(queueOf('end msg 1209359 queue12')).toBe('queue12');
    for (const t of ['end msg 1209359', 'end msg 1209359 queue', 'new msg queue5x', 'to local queue@x.test queue5 ', 'queue5', '5', '',
      'to local someonequeue5', 'bounce msg 7 qp 8xqueue5']) expect(queueOf(t), t).toBeUndefined();
  });

  it('decodes fields of the delivery lines', () => {
    expect(parseSendText('info msg 1442668: bytes 420 from <j__rg@r2.remote.test> qp 9290 uid 1002'))
      .toEqual({ kind: 'info_msg', msg: 1442668, bytes: 420, from: 'j__rg@r2.remote.test', qp: 9290, uid: 1002 });
    expect(parseSendText('info msg 1442740: bytes 2186 from <> qp 13684 uid 1007')).toMatchObject({ from: '' });
    expect(parseSendText('status: local 1/10 remote 0/20 exitasap')).toMatchObject({ kind: 'status', local: 1, exitasap: true });
    expect(parseSendText('status: exiting')).toEqual({ kind: 'status_exiting' });
    expect(parseSendText('new msg 12x')).toBeUndefined();
    expect(parseSendText('new msg 1442657 ')).toEqual({ kind: 'new_msg', msg: 1442657 }); // padded copies
  });
});

describe('delivery reports', () => {
  it('remote 550: code, ip, text', () => {
    const r = parseReport('127.0.0.1_does_not_like_recipient./Remote_host_said:_550_lab_sink:_no_such_user_here/Giving_up_on_127.0.0.1./');
    expect(r).toEqual({ text: '127.0.0.1 does not like recipient.\nRemote host said: 550 lab sink: no such user here\nGiving up on 127.0.0.1.',
      smtpCode: 550, ip: '127.0.0.1' });
  });
  it('enhanced status, forward qp, did counts, queue lifetime', () => {
    expect(parseReport("Sorry,_I_couldn't_find_any_host_named_nodns.invalid._(#5.1.2)/")).toMatchObject({ dsn: '5.1.2' });
    expect(parseReport('did_0+1+0/qp_9372/')).toMatchObject({ did: { files: 0, forwards: 1, programs: 0 }, forwardQp: 9372 });
    expect(parseReport('Connected_to_127.0.0.1_but_greeting_failed./Remote_host_said:_421_sink.lab.test_temporarily_unavailable_(lab_greet_test)/'))
      .toMatchObject({ smtpCode: 421, ip: '127.0.0.1' });
    expect(parseReport("lab:_temporary_failure_requested_by_.qmail-defer111/I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./"))
      .toMatchObject({ tooLong: true });
    expect(parseReport('127.0.0.1_accepted_message./Remote_host_said:_250_ok_1795628986_qp_9999/')).toMatchObject({ smtpCode: 250, remoteQp: 9999 });
  });
});
