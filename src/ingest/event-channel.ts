// Events from the reader thread to this one as numbers in a transferred Float64Array and strings
// sent once: a structured clone of the events themselves cost this thread more to take in than
// the reading saved it (the ×10 bench: 3.4 s of its 11). A stage with a codec is written field by
// field; one without is written as plain data (objects by a shape sent once, arrays, numbers,
// strings, booleans, null), and anything else a parser might make is cloned beside the numbers.

import type { MsgId } from '../../parsers/ids.js';

/** What a codec writes an event with. */
export interface CodecWriter {
  num(n: number): void;
  /** A string that repeats (an address, a host): sent once, then by its number. */
  str(s: string): void;
  /** A string that mostly does not (a delivery report): sent each time, kept by neither end. */
  text(s: string): void;
  id(m: MsgId): void;
}
/** …and reads it back with, in the same order. */
export interface CodecReader { num(): number; str(): string; text(): string; id(): MsgId }

/**
 * A stage's events as numbers and strings: decode(encode(ev)) must equal ev, field for field. The
 * event decode returns may be written over by its next call: a stage's push keeps none of it but
 * copies of its fields (the correlators do so), so the hot path allocates nothing per event.
 */
export interface EventCodec<E> {
  encode(ev: E, w: CodecWriter): void;
  decode(r: CodecReader): E;
}

/**
 * Makes a codec for one end of one channel: it may remember what its end has sent or taken (a
 * repeated value sent once, then by number), as the string table does.
 */
export type CodecFactory<E> = () => EventCodec<E>;

/** One message of the channel. */
export interface Chunk {
  readonly nums: Float64Array;
  readonly n: number;              // numbers used
  readonly strs: string[];         // strings new with this chunk, in id order
  readonly reset: boolean;         // the string table starts afresh before them
  readonly texts: string[];        // the texts, in order
  readonly shapes: string[][];     // object shapes new with this chunk (their keys), in id order
  readonly cloned: unknown[];      // values that are not plain data, in order
}

// plain data, tag by tag (a tag is one number; NUM, STR, TEXT, BIG, ARR and OBJ are followed by more)
const UNDEF = 0, NULL = 1, FALSE = 2, TRUE = 3, NUM = 4, STR = 5, TEXT = 6, BIGINT = 7, ARR = 8, OBJ = 9, CLONED = 10;
/** Strings this long or shorter go through the table (addresses, hosts, verbs); longer ones as texts. */
const SHORT = 48;

const NUMS = 1 << 14;              // 128 KB per chunk: the first reaches the other thread soon after the start
/** Distinct strings the two ends keep (addresses, reports, hosts): then both start afresh. */
const TABLE_MAX = 16_384;
const BIG = -1;                    // an id beyond 2^53: its digits follow as a string

/** The reader's end: records (stage, at, host, stream, event…) into chunks. */
export class ChannelWriter implements CodecWriter {
  readonly #size: number;
  readonly #tableMax: number;
  #nums: Float64Array;
  #n = 0;
  #strs: string[] = [];
  #texts: string[] = [];
  #cloned: unknown[] = [];
  #shapes: string[][] = [];
  #reset = false;
  readonly #free: Float64Array[] = [];
  readonly #shapeIds = new Map<string, number>();
  #shapeCount = 0;                 // shapes sent in earlier chunks
  readonly #table = new Map<string, number>();
  #host: string | undefined;
  #hostId = 0;
  #stream: string | undefined;
  #streamId = 0;
  readonly #codecs: ReadonlyArray<EventCodec<unknown> | undefined>;
  readonly #full: (c: Chunk) => void;

  /** full: a chunk that ran out of room (more follow); take() hands over the rest. The sizes are for the tests. */
  constructor(codecs: ReadonlyArray<CodecFactory<unknown> | undefined>, full: (c: Chunk) => void,
    sizes: { readonly nums?: number; readonly tableMax?: number } = {}) {
    this.#codecs = codecs.map((c) => c?.());
    this.#full = full;
    this.#size = Math.max(sizes.nums ?? NUMS, 64);
    this.#tableMax = sizes.tableMax ?? TABLE_MAX;
    this.#nums = new Float64Array(this.#size);
  }

  num(v: number): void {
    if (this.#n === this.#nums.length) this.#grow();
    this.#nums[this.#n++] = v;
  }

  /** A repeated string, sent once and then by its id; returns the id (record keeps its host's and stream's). */
  str(s: string): number {
    let id = this.#table.get(s);
    if (id === undefined) {
      id = this.#table.size;
      this.#table.set(s, id);
      this.#strs.push(s);
    }
    this.num(id);
    return id;
  }

  text(s: string): void {
    this.#texts.push(s);
  }

  id(m: MsgId): void {
    if (typeof m === 'number') this.num(m);
    else { this.num(BIG); this.str(m.toString()); }
  }

  record(stage: number, at: number, host: string, stream: string, ev: unknown): void {
    // a record never spans two chunks: room for its head and a codec's fields is made first
    if (this.#nums.length - this.#n < 64) this.#flushFull();
    this.num(stage); this.num(at);
    // a file's records share their host and stream: their ids are kept, not looked up each time
    if (host === this.#host) this.num(this.#hostId); else { this.#hostId = this.str(host); this.#host = host; }
    if (stream === this.#stream) this.num(this.#streamId); else { this.#streamId = this.str(stream); this.#stream = stream; }
    const c = this.#codecs[stage];
    if (c === undefined) this.#value(ev); else c.encode(ev, this);
  }

  /** What is held, as a chunk (possibly empty); the next one starts empty. */
  take(): Chunk {
    const c: Chunk = { nums: this.#nums, n: this.#n, strs: this.#strs, reset: this.#reset, texts: this.#texts, shapes: this.#shapes,
      cloned: this.#cloned };
    this.#nums = this.#free.pop() ?? new Float64Array(this.#size);
    this.#shapeCount += this.#shapes.length;
    this.#n = 0; this.#strs = []; this.#texts = []; this.#shapes = []; this.#cloned = []; this.#reset = false;
    // only between chunks, so that every id a chunk holds is of one table
    if (this.#table.size >= this.#tableMax) { this.#table.clear(); this.#reset = true; this.#host = this.#stream = undefined; }
    return c;
  }

  #value(v: unknown): void {
    switch (typeof v) {
      case 'undefined': this.num(UNDEF); return;
      case 'boolean': this.num(v ? TRUE : FALSE); return;
      case 'number': this.num(NUM); this.num(v); return;
      case 'string':
        if (v.length <= SHORT) { this.num(STR); this.str(v); } else { this.num(TEXT); this.text(v); }
        return;
      case 'bigint': this.num(BIGINT); this.str(v.toString()); return;
      case 'object': {
        if (v === null) { this.num(NULL); return; }
        if (Array.isArray(v)) {
          this.num(ARR); this.num(v.length);
          for (const x of v) this.#value(x);
          return;
        }
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) break;
        const keys = Object.keys(v);
        const sig = keys.join('\0');
        let id = this.#shapeIds.get(sig);
        if (id === undefined) {
          // a key that assignment would not make an own property on the other side: cloned instead
          id = keys.includes('__proto__') ? -1 : this.#shapes.length + this.#shapeCount;
          this.#shapeIds.set(sig, id);
          if (id >= 0) this.#shapes.push(keys);
        }
        if (id < 0) break;
        this.num(OBJ); this.num(id);
        for (const k of keys) this.#value((v as Record<string, unknown>)[k]);
        return;
      }
    }
    this.num(CLONED);
    this.#cloned.push(v);
  }

  /** A chunk's numbers back from the other end, to be written again. */
  reuse(nums: Float64Array): void {
    if (nums.length === this.#size) this.#free.push(nums);
  }

  #flushFull(): void {
    this.#full(this.take());
  }

  #grow(): void {
    // a record longer than the room left (a codec writing very many fields): the chunk grows
    const bigger = new Float64Array(this.#nums.length * 2);
    bigger.set(this.#nums);
    this.#nums = bigger;
  }
}

/** This thread's end: each chunk's records pushed in order. */
export class ChannelReader implements CodecReader {
  #nums: Float64Array = new Float64Array(0);
  #i = 0;
  #texts: string[] = [];
  #t = 0;
  #cloned: unknown[] = [];
  #c = 0;
  readonly #table: string[] = [];
  readonly #shapes: string[][] = [];
  readonly #codecs: ReadonlyArray<EventCodec<unknown> | undefined>;

  constructor(codecs: ReadonlyArray<CodecFactory<unknown> | undefined>) {
    this.#codecs = codecs.map((c) => c?.());
  }

  num(): number { return this.#nums[this.#i++]!; }
  str(): string { return this.#table[this.#nums[this.#i++]!]!; }
  text(): string { return this.#texts[this.#t++]!; }
  id(): MsgId {
    const v = this.#nums[this.#i++]!;
    return v === BIG ? BigInt(this.str()) : v;
  }

  /** Calls `to` with each record of the chunk, in order. */
  read(c: Chunk, to: (stage: number, at: number, host: string, stream: string, ev: unknown) => void): void {
    if (c.reset) this.#table.length = 0;
    for (let k = 0; k < c.strs.length; k++) this.#table.push(c.strs[k]!);
    for (let k = 0; k < c.shapes.length; k++) this.#shapes.push(c.shapes[k]!);
    this.#nums = c.nums;
    this.#i = 0;
    this.#texts = c.texts;
    this.#t = 0;
    this.#cloned = c.cloned;
    this.#c = 0;
    while (this.#i < c.n) {
      const stage = this.num();
      const at = this.num();
      const host = this.str();
      const stream = this.str();
      const codec = this.#codecs[stage];
      to(stage, at, host, stream, codec === undefined ? this.#value() : codec.decode(this));
    }
    this.#texts = [];
    this.#cloned = [];
  }

  #value(): unknown {
    switch (this.num()) {
      case UNDEF: return undefined;
      case NULL: return null;
      case FALSE: return false;
      case TRUE: return true;
      case NUM: return this.num();
      case STR: return this.str();
      case TEXT: return this.text();
      case BIGINT: return BigInt(this.str());
      case ARR: {
        const n = this.num();
        const a: unknown[] = [];
        for (let k = 0; k < n; k++) a.push(this.#value());
        return a;
      }
      case OBJ: {
        const keys = this.#shapes[this.num()]!;
        const o: Record<string, unknown> = {};
        for (let k = 0; k < keys.length; k++) o[keys[k]!] = this.#value();
        return o;
      }
      default: return this.#cloned[this.#c++];
    }
  }
}
