// What qmailanalog's pipelines do to numbers and lines, done the same way: awk's printf and
// number printing (C rounding: half to even on exact ties), sort(1) in the C locale, columnt.

/** The exact decimal expansion of |x| (doubles below 1e21 terminate well within 100 places). */
function exact(x: number): { int: string; frac: string } {
  const s = Math.abs(x).toFixed(100);
  const dot = s.indexOf('.');
  return { int: s.slice(0, dot), frac: s.slice(dot + 1) };
}

/** Rounds a digit string to `keep` digits, half to even on an exact tie; returns digits and carry. */
function roundDigits(digits: string, keep: number): { digits: string; carry: boolean } {
  const head = digits.slice(0, keep);
  const next = digits.charCodeAt(keep) - 48;
  const rest = digits.slice(keep + 1);
  const lastOdd = keep > 0 && (head.charCodeAt(keep - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (/[1-9]/.test(rest) || lastOdd));
  if (!up) return { digits: head, carry: false };
  const d = head.split('');
  for (let i = d.length - 1; i >= 0; i--) {
    if (d[i] === '9') d[i] = '0';
    else { d[i] = String.fromCharCode(d[i]!.charCodeAt(0) + 1); return { digits: d.join(''), carry: false }; }
  }
  return { digits: d.join(''), carry: true };
}

/** printf("%.Nf", x) as C does it. */
export function fixed(x: number, n: number): string {
  if (!Number.isFinite(x)) return String(x);
  const e = exact(x);
  const r = roundDigits(e.int + e.frac, e.int.length + n);
  const digits = r.carry ? '1' + r.digits : r.digits;
  const intLen = digits.length - n;
  const s = (n === 0 ? digits : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`).replace(/^0+(?=\d)/, '');
  return (x < 0 || Object.is(x, -0) ? '-' : '') + s; // C keeps the sign of a negative that rounds to zero
}

/** printf("%.Pg", x) as C does it. */
export function general(x: number, p = 6): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const e = exact(x);
  const all = e.int + e.frac;
  const lead = all.search(/[1-9]/);
  let exp = e.int.length - 1 - lead;
  const r = roundDigits(all.slice(lead), p);
  let digits = r.digits;
  if (r.carry) { digits = '1' + digits.slice(0, p - 1); exp++; }
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= p) {
    let m = digits[0]! + (p > 1 ? '.' + digits.slice(1) : '');
    m = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  let s: string;
  if (exp >= 0) s = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  else s = '0.' + '0'.repeat(-exp - 1) + digits;
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return sign + s;
}

/** awk's `print x` for a number: integers as integers, the rest through OFMT (%.6g). */
export function awkNum(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 2 ** 53 ? String(x) : general(x, 6);
}

/** awk's string → number: the longest numeric prefix (strtod), else 0. */
const PLAIN_NUMBER = /^-?\d+(?:\.\d*)?$/;

export function awkToNum(s: string): number {
  if (PLAIN_NUMBER.test(s)) return Number(s); // the common case: matchup's stamps and counts
  const m = /^[ \t\n]*[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(s);
  return m === null ? 0 : Number(m[0].trim());
}

/** awk's default field splitting: runs of blanks, leading and trailing ones dropped; the first `max` fields. */
export function awkFields(line: string, max?: number): string[] {
  // the common case (matchup's own lines, single spaces): cut the fields wanted, leave the long tail alone
  const c0 = line.charCodeAt(0);
  if (line !== '' && c0 !== 32 && c0 !== 9 && c0 !== 10) {
    const out: string[] = [];
    let pos = 0, plain = true;
    while (max === undefined || out.length < max) {
      const sp = line.indexOf(' ', pos);
      const f = sp < 0 ? line.slice(pos) : line.slice(pos, sp);
      if (f === '' || f.includes('\t') || f.includes('\n')) { plain = false; break; }
      out.push(f);
      if (sp < 0) break;
      pos = sp + 1;
    }
    if (plain) return out;
  }
  const t = line.replace(/^[ \t\n]+|[ \t\n]+$/g, '');
  return t === '' ? [] : t.split(/[ \t\n]+/, max);
}

const byteCmp = (a: string, b: string): number => {
  const x = Buffer.from(a, 'utf8'), y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
};

/** Where field k (1-based) begins for sort(1) without -b: at the blank run before it. */
function sortKeyFrom(line: string, k: number): string {
  let i = 0;
  for (let f = 1; f < k; f++) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
  }
  return line.slice(i);
}

/** `LC_ALL=C sort -kK`: by the key from field K to the end, then by the whole line. */
export function sortByKey(lines: string[], k: number): string[] {
  const keyed = lines.map((l) => ({ l, k: sortKeyFrom(l, k) }));
  keyed.sort((a, b) => byteCmp(a.k, b.k) || byteCmp(a.l, b.l));
  return keyed.map((x) => x.l);
}

/** sort -n's number: optional blanks, sign, digits and one decimal point (no exponent). */
function sortNum(s: string): number {
  const m = /^[ \t]*(-?)(\d*)(?:\.(\d*))?/.exec(s)!;
  const v = Number(`${m[2] || '0'}.${m[3] ?? '0'}`);
  return m[1] === '-' ? -v : v;
}

/** `LC_ALL=C sort -n [-kK]`: numerically by the key, then by the whole line. */
export function sortNumeric(lines: string[], k = 1): string[] {
  const keyed = lines.map((l) => ({ l, n: sortNum(sortKeyFrom(l, k)) }));
  keyed.sort((a, b) => a.n - b.n || byteCmp(a.l, b.l));
  return keyed.map((x) => x.l);
}

/** columnt: fields split on blanks; all but the last column right-aligned to its widest, two spaces apart. */
export function columnt(lines: readonly string[]): string {
  const rows = lines.map((l) => l.split(/[ \t]+/).filter((f) => f !== ''));
  const maxfield = Math.max(-1, ...rows.map((r) => r.length - 1));
  const width = new Array<number>(maxfield + 1).fill(0);
  for (const r of rows) r.forEach((f, i) => { width[i] = Math.max(width[i]!, Buffer.byteLength(f, 'utf8')); });
  return rows.map((r) => r.map((f, i) => (i < maxfield ? ' '.repeat(Math.max(0, width[i]! - Buffer.byteLength(f, 'utf8'))) + f + '  ' : f))
    .join('') + '\n').join('');
}
