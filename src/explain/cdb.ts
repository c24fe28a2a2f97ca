// A reader for D. J. Bernstein's constant database format, as qmail's cdb_seek.c reads it.
// Layout: a 2048-byte header of 256 (pos, len) pairs of little-endian uint32 (one hash table
// each), then the records (klen, dlen, key, data), then the hash tables, whose slots are
// (hash, record position) pairs; a slot with position 0 is empty.

export class CdbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CdbError';
  }
}

/** cdb_hash: h = 5381; h = ((h << 5) + h) ^ c, on unsigned 32 bits. */
export function cdbHash(key: Uint8Array): number {
  let h = 5381;
  for (const c of key) h = (((h << 5) + h) >>> 0) ^ c;
  return h >>> 0;
}

function sameBytes(buf: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (buf[at + i] !== key[i]) return false;
  return true;
}

export class Cdb {
  readonly #buf: Uint8Array;
  readonly #view: DataView;

  constructor(buf: Uint8Array) {
    if (buf.length < 2048) throw new CdbError(`too short for a cdb: ${buf.length} bytes, the header alone is 2048`);
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  #u32(pos: number): number {
    if (pos + 4 > this.#buf.length) throw new CdbError(`truncated cdb: read at ${pos} past the end (${this.#buf.length})`);
    return this.#view.getUint32(pos, true);
  }

  /** The data of the first record with this key (cdb_seek's choice), or null. */
  get(key: Uint8Array): Uint8Array | null {
    const h = cdbHash(key);
    const slot = (h & 255) * 8;
    const tpos = this.#u32(slot);
    const tlen = this.#u32(slot + 4);
    if (tlen === 0) return null;
    let h2 = (h >>> 8) % tlen;
    for (let loop = 0; loop < tlen; loop++) {
      const spos = tpos + 8 * h2;
      const rpos = this.#u32(spos + 4);
      if (rpos === 0) return null;
      if (this.#u32(spos) === h) {
        const klen = this.#u32(rpos);
        const dlen = this.#u32(rpos + 4);
        const kstart = rpos + 8;
        if (kstart + klen + dlen > this.#buf.length) throw new CdbError(`truncated cdb: record at ${rpos} runs past the end`);
        if (klen === key.length && sameBytes(this.#buf, kstart, key)) {
          return this.#buf.subarray(kstart + klen, kstart + klen + dlen);
        }
      }
      if (++h2 === tlen) h2 = 0;
    }
    return null;
  }

  /** Every record in file order (like cdbdump): records run from 2048 to the first hash table. */
  *entries(): Generator<readonly [Uint8Array, Uint8Array]> {
    const eod = this.#u32(0);
    if (eod < 2048 || eod > this.#buf.length) throw new CdbError(`bad cdb header: records end at ${eod}`);
    let pos = 2048;
    while (pos < eod) {
      const klen = this.#u32(pos);
      const dlen = this.#u32(pos + 4);
      const end = pos + 8 + klen + dlen;
      if (end > eod) throw new CdbError(`truncated cdb: record at ${pos} runs past the records`);
      yield [this.#buf.subarray(pos + 8, pos + 8 + klen), this.#buf.subarray(pos + 8 + klen, end)] as const;
      pos = end;
    }
  }
}
