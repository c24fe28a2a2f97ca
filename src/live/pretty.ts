// The live view for a person: each record rendered by pino-pretty as one line, coloured by result.
// Every string from the log goes through escapeTerminal: a sender or a reply can carry ESC.

import { DateTime } from 'luxon';
import pretty from 'pino-pretty';
import { escapeTerminal } from '../text/escape.js';
import { LEVEL, type EventRecord, type LiveRecord, type MessageRecord, type RecipientRecord } from './records.js';

export interface PrettyOptions {
  readonly color: boolean;
  readonly zone: string;           // IANA name or 'system'
  readonly debug?: boolean;        // also the SMTP dialogue and concurrency lines
}

type Colors = Parameters<NonNullable<pretty.PrettyOptions['customPrettifiers']>['level'] & object>[3]['colors'];

const e = (s: string | null | undefined): string => (s === null || s === undefined ? '' : escapeTerminal(s));
const addr = (s: string | null | undefined): string => `<${e(s)}>`;

/** A one-line reason: the decoded report's lines joined, escaped, cut. */
function reasonText(s: string | undefined, max = 160): string {
  if (s === undefined || s === '') return '';
  const one = e(s.replace(/\n+/g, ' / ').trim());
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}

function seconds(x: number): string {
  if (x < 1) return `${Math.round(x * 1000)} ms`;
  if (x < 120) return `${x.toFixed(1)} s`;
  if (x < 7200) return `${(x / 60).toFixed(1)} min`;
  return `${(x / 3600).toFixed(1)} h`;
}

const RESULT = { success: 'delivered', failure: 'failed', deferral: 'deferred' } as const;

function resultColor(c: Colors, result: string | undefined): (s: string) => string {
  if (result === 'success' || result === 'delivered') return c.green;
  if (result === 'failure' || result === 'failed') return c.red;
  if (result === 'deferral' || result === 'deferred') return c.yellow;
  return (s) => s;
}

function eventLine(r: EventRecord, c: Colors): string {
  const id = r.id === undefined ? '' : c.bold(`${r.id} `);
  switch (r.kind) {
    case 'new_msg': return `${id}${c.dim('new')}`;
    case 'info_msg': return `${id}from ${addr(r.from)} ${r.bytes ?? '?'} bytes qp ${r.qp ?? '?'} uid ${r.uid ?? '?'}`;
    case 'delivery_start': return `${id}${c.dim(`delivery ${r.did}: ${r.channel} →`)} ${e(r.to)}`;
    case 'delivery_result': {
      const paint = resultColor(c, r.result);
      const what = paint(RESULT[r.result ?? 'deferral']);
      const to = r.to === undefined ? c.dim(`delivery ${r.did}`) : e(r.to);
      const code = r.smtp_code === undefined ? '' : ` ${r.smtp_code}`;
      const dsn = r.dsn === undefined ? '' : ` #${e(r.dsn)}`;
      return `${id}${what} ${to}${code}${dsn}: ${reasonText(r.reason)}`;
    }
    case 'delivery_mangled': return c.yellow(`delivery ${r.did}: report mangled`);
    case 'bounce_msg': return `${id}${c.red('bounced')} → qp ${r.qp}`;
    case 'triple_bounce': return `${id}${c.red('triple bounce: discarded')}`;
    case 'double_bounce_discard': return `${id}${c.red('double bounce discarded')}`;
    case 'end_msg': return `${id}${c.dim('end')}`;
    case 'status': return c.dim(`status: ${e(r.text)}`);
    case 'status_exiting': return c.bold(c.yellow('qmail-send exiting (restart or stop)'));
    case 'daemon': return e(r.text);
    case 'dispatch': return `${r.channel} ${addr(r.from)} → ${e(r.to)} ${r.bytes} bytes`;
    case 'warning': return c.bold(c.yellow(`qmail-send warning: ${e(r.text)}`));
    case 'alert': return c.bold(c.red(`qmail-send ALERT: ${e(r.text)}`));
    default: return smtpdLine(r, c);
  }
}

function clientText(r: EventRecord): string {
  if (r.client === undefined) return '';
  const host = r.client.host === undefined ? '' : ` (${e(r.client.host)})`;
  return `${e(r.client.ip)}${host}`;
}

function smtpdLine(r: EventRecord, c: Colors): string {
  const pid = r.pid === undefined ? '' : c.cyan(`smtpd ${r.pid} `);
  switch (r.kind) {
    case 'tcp_ok': return `${pid}connect from ${clientText(r)}`;
    case 'tcp_deny': return `${pid}${c.red('denied (tcprules)')} ${clientText(r)}`;
    case 'tcp_end': return r.text === undefined ? `${pid}${c.dim('end')}` : `${pid}${c.yellow(`end: ${e(r.text)}`)}`;
    case 'rbl': return `${pid}${c.red(`rblsmtpd ${r.smtp_code ?? ''}`)} ${clientText(r)}: ${e(r.text)}`;
    case 'tcp_warning': return c.yellow(`tcpserver warning: ${e(r.text)}`);
    case 'tcp_fatal': return c.bold(c.red(`tcpserver fatal: ${e(r.text)}`));
    case 'rec_in': return `${pid}${c.dim('<')} ${e(r.text)}`;
    case 'rec_out': {
      const paint = r.smtp_code === undefined ? (x: string) => x : r.smtp_code >= 500 ? c.red : r.smtp_code >= 400 ? c.yellow : c.green;
      return `${pid}${c.dim('>')} ${paint(e(r.text))}`;
    }
    default: {
      const paint = r.accepted === false ? c.red : (s: string) => s;
      const parts = [r.kind, r.text === undefined ? undefined : e(r.text),
        r.from === undefined ? undefined : `from ${addr(r.from)}`, r.to === undefined ? undefined : `to ${e(r.to)}`,
        r.client === undefined ? undefined : clientText(r)].filter((x) => x !== undefined && x !== '');
      return `${pid}${paint(parts.join(' '))}`;
    }
  }
}

function rcptText(r: RecipientRecord, c: Colors): string {
  const paint = resultColor(c, r.outcome);
  const why = r.outcome === 'delivered' || r.outcome === 'pending' ? '' :
    ` (${[r.smtp_code, r.dsn === undefined ? undefined : '#' + e(r.dsn)].filter((x) => x !== undefined).join(' ') || reasonText(r.reason, 60)})`;
  const tries = r.attempts > 1 ? ` ×${r.attempts}` : '';
  return `${e(r.to)} ${paint(r.outcome)}${tries}${why}`;
}

function messageLine(r: MessageRecord, c: Colors): string {
  const parts: string[] = [];
  const failed = r.recipients.some((x) => x.outcome === 'failed');
  const deferred = r.recipients.some((x) => x.outcome === 'deferred' || x.outcome === 'pending');
  const head = r.lost ? c.red('lost') : failed ? c.red('done') : deferred ? c.yellow('done') : c.green('done');
  parts.push(`${c.bold(String(r.id))} ${head} ${addr(r.from)}`);
  parts.push(r.recipients.length === 0 ? 'no recipients' : r.recipients.map((x) => rcptText(x, c)).join(', '));
  if (r.queue_seconds !== null) parts.push(`in queue ${seconds(r.queue_seconds)}`);
  if (r.bounce !== null) parts.push(c.red(`bounce → ${r.bounce.key === null ? `qp ${r.bounce.qp}` : msgOfKey(r.bounce.key)}`));
  if (r.bounce_of !== null) parts.push(`bounce of ${msgOfKey(r.bounce_of)}`);
  for (const f of r.forwards) parts.push(`forward → ${f.key === null ? `qp ${f.qp}` : msgOfKey(f.key)}`);
  if (r.forward_of !== null) parts.push(`forward of ${msgOfKey(r.forward_of)}`);
  if (r.triple_bounce) parts.push(c.red('triple bounce discarded'));
  if (r.session !== null) {
    const s = r.session;
    const who = s.client_ip === null ? '' : ` from ${e(s.client_ip)}${s.client_host === null ? '' : ` (${e(s.client_host)})`}`;
    parts.push(c.cyan(`smtp ${s.pid}${who}${s.link === 'inferred' ? ' (inferred)' : ''}`));
  }
  return parts.join(' · ');
}

/** 'vm:1795628986123456:98765' → '#98765' (the id a person types to `qtrace show`). */
function msgOfKey(key: string): string {
  return `#${key.slice(key.lastIndexOf(':') + 1)}`;
}

/** A function from record to one printed line (with its newline). */
export function prettyPrinter(o: PrettyOptions): (r: LiveRecord) => string {
  const zone = o.zone;
  const render = pretty.prettyFactory({
    colorize: o.color,
    hideObject: true,
    ignore: 'pid,hostname', // our pid is smtpd's, shown in the message
    translateTime: false, // the prettifier below shows log time in --tz, to the millisecond
    minimumLevel: o.debug === true ? 'debug' : 'info',
    customColors: 'message:reset',
    customPrettifiers: {
      time: (t) => { // pino-pretty passes this one no colours
        const s = String(t);
        const d = DateTime.fromISO(s, { zone: 'utc' }).setZone(zone);
        const text = d.isValid ? `${d.toFormat('HH:mm:ss')}.${s.slice(20, 23)}` : e(s);
        return o.color ? `\x1b[2m${text}\x1b[22m` : text;
      },
      // the host where pino puts the level; the level itself only when it asks for attention
      level: (_l, _k, log, { colors }) => {
        const r = log as LiveRecord;
        const host = e(r.host);
        if (r.level >= LEVEL.error) return `${host} ${colors.bgRed(colors.white(' ALERT '))}`;
        if (r.level >= LEVEL.warn) return `${host} ${colors.yellow('WARN')}`;
        return host;
      },
    },
    messageFormat: (log, _key, _label, { colors }) => {
      const r = log as unknown as LiveRecord;
      if (r.type === 'message') return `${colors.bold('⇒')} ${messageLine(r, colors)}`;
      if (r.type === 'notice') return r.level >= LEVEL.warn ? colors.bold(colors.magenta(`qtrace: ${e(r.text)}`)) : colors.magenta(`qtrace: ${e(r.text)}`);
      return eventLine(r, colors);
    },
  });
  return (r) => render(r) ?? ''; // undefined: below the minimum level
}
