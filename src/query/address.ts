// How --to (and sessions --rcpt) match an address: exactly by parts, never as a substring unless
// asked with `*`. `bob@` is the local part bob at any domain (not tammy-bob@); `@example.com` any
// local part there; `bob@example` also bob@example.com (a domain given by its first labels);
// `bob` alone is the local part bob. `*` is a wildcard: `*bob*` is the old substring match.
// Case-insensitive, as qmail treats domains (and SQLite's LIKE treats ASCII).

export interface AddressMatch {
  /** An SQL condition on `col` and its arguments. */
  readonly sql: (col: string) => { sql: string; args: string[] };
  /** The same test in JS, for the printer's "which recipient matched". */
  readonly test: (addr: string) => boolean;
}

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (ch) => '\\' + ch);
const rxEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function addressMatcher(pattern: string): AddressMatch {
  const p = pattern.trim();
  let likes: string[];
  let rx: RegExp;
  if (p.includes('*')) {
    const parts = p.split('*');
    likes = [parts.map(likeEscape).join('%')];
    rx = new RegExp(`^${parts.map(rxEscape).join('.*')}$`, 'is');
  } else if (p.includes('@')) {
    const at = p.lastIndexOf('@');
    const local = p.slice(0, at);
    const domain = p.slice(at + 1);
    const l = local === '' ? '%' : likeEscape(local);
    likes = domain === '' ? [`${l}@%`] : [`${l}@${likeEscape(domain)}`, `${l}@${likeEscape(domain)}.%`];
    const lr = local === '' ? '[^@]*' : rxEscape(local);
    rx = new RegExp(`^${lr}@${domain === '' ? '.*' : `${rxEscape(domain)}(\\..*)?`}$`, 'is');
  } else {
    likes = [`${likeEscape(p)}@%`, likeEscape(p)];
    rx = new RegExp(`^${rxEscape(p)}(@.*)?$`, 'is');
  }
  return {
    sql: (col) => ({ sql: '(' + likes.map(() => `${col} LIKE ? ESCAPE '\\'`).join(' OR ') + ')', args: likes }),
    test: (addr) => rx.test(addr),
  };
}
