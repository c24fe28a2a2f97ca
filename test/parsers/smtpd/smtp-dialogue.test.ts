// parsers/smtp-dialogue.ts beyond what recordio.test.ts covers: the one-scan reason of a refusal
// keeps the rules' precedence, and a client line means what the server's reading mode makes it.
import { describe, expect, it } from 'vitest';
import { authArgument, clientEvent, replyReason, type ClientLine } from '../../../parsers/smtp-dialogue.js';

describe('replyReason: one scan, the first rule that matches anywhere', () => {
  it('precedence, not position, decides between two rules', () => {
    // 'no mailbox' comes first in the text, chkuser first among the rules
    expect(replyReason('5.1.1 sorry, no mailbox here by that name (chkuser)')).toBe('chkuser');
    expect(replyReason("sorry, that domain isn't in my list of allowed rcpthosts, no such user")).toBe('rcpthosts');
    expect(replyReason('max rcpt reached, out of memory')).toBe('too_many_rcpts');
    expect(replyReason('out of memory; too many recipients')).toBe('too_many_rcpts');
  });

  it('case as each rule has it; anchors at the start only', () => {
    expect(replyReason('MAIL first (#5.5.1)')).toBe('mail_first');
    expect(replyReason('mail first (#5.5.1)')).toBe('other');
    expect(replyReason('ALLOWED RCPTHOSTS')).toBe('rcpthosts');
    expect(replyReason('timeout (#4.4.2)')).toBe('timeout');
    expect(replyReason('Timeout, bye')).toBe('timeout');
    expect(replyReason('no timeout here')).toBe('other');
    expect(replyReason('qq temporary problem (#4.3.0)')).toBe('queue');
    expect(replyReason('the qq failed')).toBe('other');
    expect(replyReason('UNRECOGNIZED command')).toBe('unimplemented');
    expect(replyReason('')).toBe('other');
  });
});

describe('clientEvent: a line by the mode the server reads in', () => {
  const line = (text: string, cr: ClientLine['cr'] = '\r', eof = false): ClientLine =>
    ({ text, bytes: Buffer.byteLength(text), cr, eof });

  it('commands, body lines with their line ending counted, the lone dot', () => {
    expect(clientEvent('cmd', line('RCPT TO:<a@b.test>'))).toEqual(
      { kind: 'command', cmd: { verb: 'RCPT', word: 'RCPT', arg: 'TO:<a@b.test>', addr: 'a@b.test' } });
    expect(clientEvent('body', line('Subject: é'))).toEqual({ kind: 'body', bytes: 13 });
    expect(clientEvent('body', line('bare', ''))).toEqual({ kind: 'body', bytes: 5 });
    expect(clientEvent('body', line('.'))).toEqual({ kind: 'body_end' });
    expect(clientEvent('body', line('.', '', true))).toEqual({ kind: 'body', bytes: 1 });
  });

  it('AUTH responses, the end of input, and nothing after STARTTLS', () => {
    expect(clientEvent('auth', line(' dGFtbXk= '))).toEqual({ kind: 'auth_response', response: 'dGFtbXk=' });
    expect(clientEvent('auth', line('x', '', true))).toEqual({ kind: 'auth_response', response: null });
    expect(clientEvent('cmd', line('QUIT', '', true))).toBeUndefined();
    expect(clientEvent('tls', line('QUIT'))).toBeUndefined();
  });

  it('AUTH argument: mechanism and initial response', () => {
    expect(authArgument('plain AHRhbW15AHB3')).toEqual({ mechanism: 'PLAIN', initial: 'AHRhbW15AHB3' });
    expect(authArgument('LOGIN')).toEqual({ mechanism: 'LOGIN', initial: null });
    expect(authArgument('')).toEqual({ mechanism: null, initial: null });
  });
});
