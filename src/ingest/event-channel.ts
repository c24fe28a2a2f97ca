// Events from the reader thread to this one as numbers in a transferred Float64Array and strings
// sent once: a structured clone of the events themselves cost this thread more to take in than
// the reading saved it (the ×10 bench: 3.4 s of its 11). A stage with a codec is written field by
// field; one without has its events cloned beside the numbers, in order.

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

/** A stage's events as numbers and strings: decode(encode(ev)) must equal ev, field for field. */
export interface EventCodec<E> {
  encode(ev: E, w: CodecWriter): void;
  decode(r: CodecReader): E;
}

/** One message of the channel. */
export interface Chunk {
  readonly nums: Float64Array;
  readonly n: number;              // numbers used
  readonly strs: string[];         // strings new with this chunk, in id order
  readonly reset: boolean;         // the string table starts afresh before them
  readonly texts: string[];        // the texts, in order
  readonly cloned: unknown[];      // events of stages without a codec, in order
}

const NUMS = 1 << 16;              // 512 KB per chunk
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
  #reset = false;
  readonly #free: Float64Array[] = [];
  readonly #table = new Map<string, number>();
  readonly #codecs: ReadonlyArray<EventCodec<unknown> | undefined>;
  readonly #full: (c: Chunk) => void;

  /** full: a chunk that ran out of room (more follow); take() hands over the rest. The sizes are for the tests. */
  constructor(codecs: ReadonlyArray<EventCodec<unknown> | undefined>, full: (c: Chunk) => void,
    sizes: { readonly nums?: number; readonly tableMax?: number } = {}) {
    this.#codecs = codecs;
    this.#full = full;
    this.#size = Math.max(sizes.nums ?? NUMS, 64);
    this.#tableMax = sizes.tableMax ?? TABLE_MAX;
    this.#nums = new Float64Array(this.#size);
  }

  num(v: number): void {
    if (this.#n === this.#nums.length) this.#grow();
    this.#nums[this.#n++] = v;
  }

  str(s: string): void {
    let id = this.#table.get(s);
    if (id === undefined) {
      id = this.#table.size;
      this.#table.set(s, id);
      this.#strs.push(s);
    }
    this.num(id);
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
    this.num(stage); this.num(at); this.str(host); this.str(stream);
    const c = this.#codecs[stage];
    if (c === undefined) this.#cloned.push(ev); else c.encode(ev, this);
  }

  /** What is held, as a chunk (possibly empty); the next one starts empty. */
  take(): Chunk {
    const c: Chunk = { nums: this.#nums, n: this.#n, strs: this.#strs, reset: this.#reset, texts: this.#texts, cloned: this.#cloned };
    this.#nums = this.#free.pop() ?? new Float64Array(this.#size);
    this.#n = 0; this.#strs = []; this.#texts = []; this.#cloned = []; this.#reset = false;
    // only between chunks, so that every id a chunk holds is of one table
    if (this.#table.size >= this.#tableMax) { this.#table.clear(); this.#reset = true; }
    return c;
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
  readonly #table: string[] = [];
  readonly #codecs: ReadonlyArray<EventCodec<unknown> | undefined>;

  constructor(codecs: ReadonlyArray<EventCodec<unknown> | undefined>) {
    this.#codecs = codecs;
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
    this.#nums = c.nums;
    this.#i = 0;
    this.#texts = c.texts;
    this.#t = 0;
    let cloned = 0;
    while (this.#i < c.n) {
      const stage = this.num();
      const at = this.num();
      const host = this.str();
      const stream = this.str();
      const codec = this.#codecs[stage];
      to(stage, at, host, stream, codec === undefined ? c.cloned[cloned++] : codec.decode(this));
    }
    this.#texts = [];
  }
}
