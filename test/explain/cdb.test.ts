import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cdb, CdbError, cdbHash } from '../../src/explain/cdb.js';
import { bytes, newuCdb, writeCdb } from './helpers.js';

const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

describe('cdb hash', () => {
  it('is DJB\'s 5381 / times 33 xor hash on unsigned 32 bits', () => {
    expect(cdbHash(new Uint8Array(0))).toBe(5381);
    expect(cdbHash(bytes('a'))).toBe(((5381 * 33) ^ 97) >>> 0);
    // Long keys wrap around 2^32 instead of growing into floating point.
    const h = cdbHash(bytes('x'.repeat(1000)));
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });
});

describe('Cdb reader', () => {
  it('finds what the writer stored, and nothing else', () => {
    const db = new Cdb(writeCdb([
      [bytes('one'), bytes('1')],
      [bytes('two'), bytes('2')],
      [new Uint8Array(0), bytes('empty key')],
    ]));
    expect(text(db.get(bytes('one')))).toBe('1');
    expect(text(db.get(bytes('two')))).toBe('2');
    expect(text(db.get(new Uint8Array(0)))).toBe('empty key');
    expect(db.get(bytes('three'))).toBeNull();
    expect(db.get(bytes('On'))).toBeNull();
  });

  it('returns the first record of a duplicated key, like cdb_seek', () => {
    const db = new Cdb(writeCdb([[bytes('k'), bytes('first')], [bytes('k'), bytes('second')]]));
    expect(text(db.get(bytes('k')))).toBe('first');
    expect([...db.entries()].map(([k, d]) => `${text(k)}=${text(d)}`)).toEqual(['k=first', 'k=second']);
  });

  it('reads qmail-newu\'s layout: =local with a trailing NUL, +prefix without, "" = wildcard chars', () => {
    const db = new Cdb(newuCdb('=joe:joe:1001:1001:/home/joe:::\n+list-:lists:1002:1002:/var/lists:-::\n.\n'));
    expect(text(db.get(bytes('!joe\0')))).toBe('joe\x001001\x001001\x00/home/joe\0\0');
    expect(db.get(bytes('!joe'))).toBeNull();
    expect(text(db.get(bytes('!list-')))).toBe('lists\x001002\x001002\x00/var/lists\0-\0');
    expect(text(db.get(new Uint8Array(0)))).toBe('-');
  });

  it('round-trips any set of keys (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ maxLength: 12 }), { maxLength: 60, comparator: (a, b) => Buffer.compare(a, b) === 0 }), (keys) => {
        const db = new Cdb(writeCdb(keys.map((k, i) => [k, bytes(String(i))] as const)));
        keys.forEach((k, i) => expect(text(db.get(k))).toBe(String(i)));
        expect([...db.entries()].length).toBe(keys.length);
      }),
    );
  });

  it('reports damage as CdbError instead of reading past the end', () => {
    expect(() => new Cdb(new Uint8Array(100))).toThrow(CdbError);
    const good = writeCdb([[bytes('key'), bytes('data')]]);
    const cut = good.subarray(0, 2050);
    const db = new Cdb(cut);
    expect(() => db.get(bytes('key'))).toThrow(CdbError);
    expect(() => [...db.entries()]).toThrow(CdbError);
  });
});
