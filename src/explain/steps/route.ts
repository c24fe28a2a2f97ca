// Step 2: qmail-send's rewrite(): defaulthost, percenthack, locals, virtualdomains, else smtproutes.
import { ConstMap, readControlFile, readControlLine } from '../config.js';
import type { ControlFile, ControlValue } from '../config.js';
import type { RelayRoute, RouteData, RouteStep, SourceRef } from '../types.js';
import { Notes, crFindings, ctl, duplicateNote, markOf, ref } from './shared.js';
import type { Failure, WalkContext } from './shared.js';

function unreadable(notes: Notes, f: ControlFile): void {
  if (f.status === 'error') notes.add('warn', `cannot read ${f.path} (${f.errno ?? 'error'}); treated as empty here`, ref(f.path));
}

interface RouteOut {
  readonly step: RouteStep;
  readonly failure: Failure | null;
}

function firstLine(ctx: WalkContext, name: string): ControlValue | null {
  return readControlLine(ctx.fs, ctl(ctx, name));
}

/** control_rldef(sa, file, 1, def): the file, else control/me, else the literal default. */
function rldef(ctx: WalkContext, name: string, me: ControlValue | null, def: string): ControlValue & { readonly from: 'file' | 'me' | 'default' } {
  const v = firstLine(ctx, name);
  if (v) return { ...v, from: 'file' };
  if (me) return { ...me, from: 'me' };
  return { value: def, at: ref(ctl(ctx, name)), from: 'default' };
}

export function stepRoute(ctx: WalkContext, input: string, smtpListed: boolean, smtpAccepted: boolean): RouteOut {
  const notes = new Notes();
  const me = firstLine(ctx, 'me');
  let address = input;
  let decidedBy: SourceRef | null = null;

  if (!address.includes('@')) {
    // qmail-inject appends defaulthost; qmail-send itself (for SMTP / qmail-queue) appends envnoathost.
    const dh = rldef(ctx, 'defaulthost', me, 'defaulthost');
    const eh = rldef(ctx, 'envnoathost', me, 'envnoathost');
    address = `${input}@${dh.value}`;
    const from = dh.from === 'file' ? 'control/defaulthost' : dh.from === 'me' ? 'control/me, as there is no control/defaulthost' : 'no defaulthost and no me';
    notes.add('note', `no @: qmail-inject appends @${dh.value} (${from})`, dh.at);
    if (eh.value !== dh.value)
      notes.add('warn', `mail that reaches qmail-send without @ by another way (SMTP, qmail-queue) gets @${eh.value} from envnoathost instead`, eh.at);
  }

  // percenthack: while the domain is listed, the last % before the @ becomes the @.
  const phPath = ctl(ctx, 'percenthack');
  const percenthack = readControlFile(ctx.fs, phPath);
  const phMap = new ConstMap(percenthack.lines, false);
  for (;;) {
    const i = address.lastIndexOf('@');
    const hit = phMap.get(address.slice(i + 1));
    if (!hit) break;
    const j = address.lastIndexOf('%', i - 1);
    if (j < 0) break;
    const before = address;
    address = address.slice(0, j) + '@' + address.slice(j + 1, i);
    notes.add('note', `percenthack: ${before} becomes ${address}`, ref(phPath, hit.line));
    decidedBy = ref(phPath, hit.line);
  }

  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  const localsPath = ctl(ctx, 'locals');
  const locals = readControlFile(ctx.fs, localsPath);
  const vdPath = ctl(ctx, 'virtualdomains');
  const vdoms = readControlFile(ctx.fs, vdPath);
  crFindings(notes, [locals, vdoms, percenthack]);
  unreadable(notes, locals);
  unreadable(notes, vdoms);

  const base = { input, address, domain };
  const make = (summary: string, decidedBy: SourceRef | null, data: RouteData, failure: Failure | null = null): RouteOut => ({
    step: { n: 2, kind: 'route', title: 'Local or remote', mark: markOf(notes, failure !== null), summary, decidedBy, findings: notes.list, data },
    failure,
  });
  const local = (via: RouteData['via'], rewritten: string, summary: string, by: SourceRef, vdomKey: string | null = null, vdomPrefix: string | null = null): RouteOut => {
    if (!smtpAccepted) notes.add('warn', `${domain} is delivered locally but is not in rcpthosts: mail for it from outside is refused (add it to control/rcpthosts)`);
    return make(summary, by, { ...base, channel: 'local', via, vdomKey, vdomPrefix, rewritten, localPart: rewritten.slice(0, rewritten.lastIndexOf('@')), relay: null });
  };

  // locals (if missing: control/me; if both are missing qmail-send does not start).
  let localsMap: ConstMap;
  let localsFrom: 'locals' | 'me' = 'locals';
  if (locals.status === 'missing') {
    if (!me) {
      notes.add('fail', 'neither control/locals nor control/me exists: qmail-send stops with "cannot start: unable to read controls"', ref(localsPath));
      return make(
        'qmail-send cannot start: no control/locals and no control/me',
        ref(localsPath),
        { ...base, channel: 'remote', via: 'none', vdomKey: null, vdomPrefix: null, rewritten: address, localPart: null, relay: null },
        { kind: 'defer', message: 'alert: cannot start: unable to read controls (qmail-send is not running; the message stays queued)' },
      );
    }
    localsMap = new ConstMap([{ n: 1, text: me.value }], false);
    localsFrom = 'me';
    notes.add('note', `control/locals is missing: qmail-send uses control/me (${me.value}) as the only local domain`, me.at);
  } else localsMap = new ConstMap(locals.lines, false);

  const vdMap = new ConstMap(vdoms.lines, true);
  for (const n of vdMap.ignored) notes.add('warn', 'line has no ":" and is ignored', ref(vdPath, n));

  const lhit = localsMap.get(domain);
  if (lhit) {
    const by = localsFrom === 'me' ? me?.at ?? ref(localsPath) : ref(localsPath, lhit.line);
    if (localsFrom === 'locals') duplicateNote(notes, localsMap, lhit, localsPath);
    const shadow = vdMap.get(domain);
    if (shadow) notes.add('warn', `virtualdomains also lists ${domain}, but locals has priority: that line is never used`, ref(vdPath, shadow.line));
    return local(localsFrom, address, `local: ${domain} is in ${localsFrom === 'me' ? 'control/me' : 'control/locals'}; qmail-lspawn gets local part "${address.slice(0, at)}"`, by);
  }

  // virtualdomains: the whole address, the domain, each ".suffix", then "" (catch-all).
  for (let i = 0; i <= address.length; i++) {
    if (!(i === 0 || i === at + 1 || i === address.length || (i > at && address[i] === '.'))) continue;
    const key = address.slice(i);
    const hit = vdMap.get(key);
    if (!hit) continue;
    duplicateNote(notes, vdMap, hit, vdPath);
    const what = i === 0 ? `the address ${key}` : key === '' ? 'the catch-all ":prefix"' : key.startsWith('.') ? `the wildcard ${key}` : key;
    if (hit.value === '') {
      notes.add('note', `virtualdomains maps ${what} to an empty prefix, which means "not local"`, ref(vdPath, hit.line));
      decidedBy = ref(vdPath, hit.line);
      break;
    }
    const rewritten = `${hit.value}-${address}`;
    const summary = `virtual: virtualdomains maps ${what} to prefix "${hit.value}"; qmail-send delivers it locally as ${rewritten}`;
    return local('virtualdomains', rewritten, summary, ref(vdPath, hit.line), hit.key, hit.value);
  }

  // Remote: qmail-remote's smtproutes lookup (domain, ".suffix"es, then "" for the default route).
  const srPath = ctl(ctx, 'smtproutes');
  const routes = readControlFile(ctx.fs, srPath);
  crFindings(notes, [routes]);
  unreadable(notes, routes);
  const srMap = new ConstMap(routes.lines, true);
  let relay: RelayRoute | null = null;
  for (let i = 0; i <= domain.length; i++) {
    if (!(i === 0 || i === domain.length || domain[i] === '.')) continue;
    const hit = srMap.get(domain.slice(i));
    if (!hit) continue;
    decidedBy = ref(srPath, hit.line);
    if (hit.value === '') {
      notes.add('note', `smtproutes line has an empty relay: qmail-remote looks up the MX as usual`, decidedBy);
      break;
    }
    const c = hit.value.indexOf(':');
    const hostPart = c < 0 ? hit.value : hit.value.slice(0, c);
    const digits = c < 0 ? '' : /^\d*/.exec(hit.value.slice(c + 1))?.[0] ?? '';
    relay = { key: hit.key, host: hostPart, port: c < 0 ? 25 : Number(digits || '0') };
    break;
  }
  if (smtpListed && !ctx.relayclient)
    notes.add(
      'warn',
      `${domain} is in rcpthosts but neither in locals nor in virtualdomains: qmail accepts mail for it from anyone and sends it on` +
        (relay ? '' : '; if its MX is this host, qmail bounces it ("listed as best-preference MX", #5.4.6)'),
    );
  const how = relay
    ? `via smtproutes to ${relay.host}:${relay.port}${relay.key === '' ? ' (the default route)' : ''}`
    : `to the MX of ${domain} (DNS is not checked here)`;
  return make(
    `remote: ${domain} is neither in locals nor in virtualdomains; qmail-remote delivers ${how}`,
    decidedBy,
    { ...base, channel: 'remote', via: 'none', vdomKey: null, vdomPrefix: null, rewritten: address, localPart: null, relay },
  );
}
