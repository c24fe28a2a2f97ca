// Lines of other programs that share a maillog with qmail: POP/IMAP servers, spam and virus
// scanners, other MTAs, the syslog daemon's own marks. Recognised by their syslog tag (the frame's
// `tag`) or, for framings without one, by a `program[pid]: ` / `program: ` head on the text, so the
// ingest can count "not qmail" apart from "not understood". No event fields beyond the program: these
// lines lead nowhere in qtrace.
//
// Deliberately absent: every qmail tag (qmail, qmail-smtpd, qmail-send, splogger's names…),
// vpopmail, Plesk's handlers and filters, qmail-scanner, simscan, spamdyke, chkuser: those are
// qmail's family and have parsers (or must stay "not understood" when a line is not known).

export interface NotQmail {
  readonly kind: 'not_qmail';
  /** The program as qtrace names it (a family name: dovecot, courier, postfix…). */
  readonly program: string;
}

// tag → program family. Tags are matched whole; `postfix/smtpd` style tags by their first part.
const TAGS: ReadonlyMap<string, string> = new Map([
  // spamassassin
  ['spamd', 'spamd'], ['spamc', 'spamc'], ['spamd-child', 'spamd'],
  // Courier (Plesk's and toasters' pop3d/imapd; authdaemond)
  ['pop3d', 'courier'], ['pop3d-ssl', 'courier'], ['imapd', 'courier'], ['imapd-ssl', 'courier'],
  ['courier-pop3d', 'courier'], ['courier-imapd', 'courier'], ['courierpop3login', 'courier'],
  ['courierpop3d', 'courier'], ['imaplogin', 'courier'], ['pop3login', 'courier'], ['authdaemond', 'courier'],
  ['courier-imap', 'courier'], ['courieresmtpd', 'courier'], ['courierd', 'courier'],
  // Dovecot (dovecot: imap-login: … and the split tags of newer versions)
  ['dovecot', 'dovecot'], ['dovecot-auth', 'dovecot'], ['imap-login', 'dovecot'], ['pop3-login', 'dovecot'], ['auth', 'dovecot'],
  ['auth-worker', 'dovecot'], ['lmtp', 'dovecot'], ['managesieve-login', 'dovecot'],
  // vm-pop3d, cyrus, qpopper, tpop3d, uw-imap
  ['vm-pop3d', 'vm-pop3d'], ['cyrus', 'cyrus'], ['imap', 'cyrus'], ['pop3', 'cyrus'], ['master', 'cyrus'],
  ['qpopper', 'qpopper'], ['popper', 'qpopper'], ['tpop3d', 'tpop3d'], ['ipop3d', 'uw-imap'],
  // virus scanners
  ['clamd', 'clamd'], ['freshclam', 'freshclam'], ['clamav-milter', 'clamd'], ['clamsmtpd', 'clamd'],
  ['drwebd', 'drweb'], ['kavdaemon', 'kaspersky'],
  // other MTAs and filters
  ['postfix', 'postfix'], ['sendmail', 'sendmail'], ['sm-mta', 'sendmail'], ['sm-msp-queue', 'sendmail'],
  ['exim', 'exim'], ['exim4', 'exim'], ['amavis', 'amavis'], ['amavisd', 'amavis'], ['amavisd-new', 'amavis'],
  ['MailScanner', 'mailscanner'], ['opendkim', 'opendkim'], ['opendmarc', 'opendmarc'],
  ['postgrey', 'postgrey'], ['policyd-spf', 'policyd-spf'], ['milter-greylist', 'milter-greylist'],
  ['sqlgrey', 'sqlgrey'], ['psa-pc-remote', 'plesk-postfix'], ['mailman', 'mailman'],
  // fail2ban and the syslog daemons' own lines
  ['fail2ban', 'fail2ban'], ['fail2ban-server', 'fail2ban'], ['syslog-ng', 'syslog-ng'], ['rsyslogd', 'rsyslogd'],
  ['syslogd', 'syslogd'], ['newsyslog', 'newsyslog'], ['kernel', 'kernel'], ['CRON', 'cron'], ['cron', 'cron'],
]);

// Text that a syslog daemon writes in place of a program's line (no tag of its own, or the tag of
// the program whose line it repeats).
const RX_SYSLOG_TEXT = /^(?:last message repeated \d+ times?|message repeated \d+ times?: \[.*\]|-- MARK --|--- last message repeated \d+ times? ---)$/;
const RX_HEAD = /^(?<tag>[A-Za-z/][\w./-]{0,60})(?:\[\d{1,10}\]|\([\w-]{0,20}\))?: /;

function family(tag: string): string | undefined {
  const direct = TAGS.get(tag);
  if (direct !== undefined) return direct;
  const slash = tag.indexOf('/');
  if (slash >= 0) {
    // postfix/smtpd, postfix-out/smtp, sendmail/…: the part before the slash names the program
    const head = tag.slice(0, slash);
    const f = TAGS.get(head) ?? (head.startsWith('postfix') ? 'postfix' : undefined);
    if (f !== undefined) return f;
    // Plesk's full-path tags: /usr/lib64/plesk-9.0/psa-pc-remote
    return TAGS.get(tag.slice(tag.lastIndexOf('/') + 1));
  }
  if (tag.startsWith('fail2ban.')) return 'fail2ban';
  return undefined;
}

/**
 * Is this line another program's? `tag` is the frame's syslog tag (undefined for multilog and
 * other tagless framings); `text` is the line after the tag. Returns undefined for qmail's family
 * and for anything not recognised.
 */
export function recogniseNotQmail(tag: string | undefined, text: string): NotQmail | undefined {
  if (tag !== undefined) {
    const f = family(tag);
    if (f !== undefined) return { kind: 'not_qmail', program: f };
  }
  const c = text.charCodeAt(0);
  if (c === 108 || c === 109 || c === 45) {   // l m -
    if (RX_SYSLOG_TEXT.test(text)) return { kind: 'not_qmail', program: 'syslog' };
  }
  if (tag !== undefined) return undefined;
  const m = RX_HEAD.exec(text);
  if (m === null) return undefined;
  const f = family(m.groups?.['tag'] ?? '');
  return f === undefined ? undefined : { kind: 'not_qmail', program: f };
}
