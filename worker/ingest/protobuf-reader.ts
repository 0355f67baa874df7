/**
 * A small protobuf wire-format reader and writer: just what the OTLP messages need (varint,
 * 64-bit fixed, length-delimited), with bounds checked on every read so that a truncated or hostile
 * body fails with a `WireError` instead of reading past the end. Generated code and reflection are
 * avoided on purpose: the edge decodes every span, and this keeps it lean.
 *
 * The reader is one cursor moved over the body (`enter`/`leave`, `moveTo`) rather than an object
 * per message, and the strings it hands out come from two small caches keyed by their bytes
 * (text and ids), because a batch repeats the same attribute keys, names and ids span after span:
 * a hit costs a byte compare and allocates nothing.
 */

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

/** Deepest nesting of (deprecated) groups the reader skips; real messages nest none. */
export const MAX_GROUP_DEPTH = 32;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const utf8 = new TextDecoder('utf-8', { fatal: true });
const TWO_32 = 4294967296;

/**
 * hi·2³² + lo as a decimal string without BigInt (the hot path: two timestamps a span).
 * 2³² = 4294·10⁶ + 967296, so the value is (hi·4294 + carry)·10⁶ + low six digits, every part a
 * safe integer.
 */
export function uint64Decimal(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  const b = hi * 967296 + lo;
  const carry = quotient1e6(b);
  const low = b - carry * 1e6;
  const top = hi * 4294 + carry;
  if (top >= 1e12 && top < 1e13) return nineteenDigits(top, low);
  return `${top}${String(low).padStart(6, '0')}`;
}

/**
 * ⌊x / 10⁶⌋ of a safe non-negative integer, without `%` on doubles (a call into C in V8). The
 * rounded quotient is never below the true one, and at most rounds up onto the next integer.
 */
function quotient1e6(x: number): number {
  const q = Math.floor(x / 1e6);
  return x - q * 1e6 < 0 ? q - 1 : q;
}

/** Tens and units digits (char codes) of 0..99. */
const TENS = Uint8Array.from({ length: 100 }, (_, i) => 48 + Math.floor(i / 10));
const UNITS = Uint8Array.from({ length: 100 }, (_, i) => 48 + (i % 10));

/**
 * top·10⁶ + low for a 13-digit top: every nanosecond time from 2001 to 2286. Written digit pair by
 * digit pair into one flat string, because a concatenation would leave a rope that every later
 * comparison of the time has to flatten first.
 */
function nineteenDigits(top: number, low: number): string {
  const q = quotient1e6(top);
  // int32 from here on: the divisions by constants compile to multiplications
  const a = q | 0; // 7 digits
  const a2 = ((a / 1e4) | 0) % 100;
  const a3 = ((a / 100) | 0) % 100;
  const a4 = a % 100;
  const m = (top - q * 1e6) | 0;
  const m1 = (m / 1e4) | 0;
  const m2 = ((m / 100) | 0) % 100;
  const m3 = m % 100;
  const l = low | 0;
  const l1 = (l / 1e4) | 0;
  const l2 = ((l / 100) | 0) % 100;
  const l3 = l % 100;
  return String.fromCharCode(
    48 + ((a / 1e6) | 0), TENS[a2]!, UNITS[a2]!, TENS[a3]!, UNITS[a3]!, TENS[a4]!, UNITS[a4]!,
    TENS[m1]!, UNITS[m1]!, TENS[m2]!, UNITS[m2]!, TENS[m3]!, UNITS[m3]!,
    TENS[l1]!, UNITS[l1]!, TENS[l2]!, UNITS[l2]!, TENS[l3]!, UNITS[l3]!,
  );
}

/** Strings of up to TEXT_MAX bytes go through a direct-mapped cache of TEXT_SLOTS entries. */
const TEXT_SLOTS = 2048;
const TEXT_MAX = 32;
const textBytes = new Uint8Array(TEXT_SLOTS * TEXT_MAX);
/** byte length of each slot's string; 0 marks an empty slot (the empty string is never cached) */
const textLength = new Uint8Array(TEXT_SLOTS);
const textString: string[] = new Array<string>(TEXT_SLOTS).fill('');

/** The UTF-8 text of buf[start, end), from the cache when the same bytes were seen before. */
function cachedText(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (TEXT_SLOTS - 1);
  const base = slot * TEXT_MAX;
  if (textLength[slot] === len) {
    let i = 0;
    while (i < len && textBytes[base + i] === buf[start + i]) i++;
    if (i === len) return textString[slot]!;
  }
  const s = decodeText(buf, start, end);
  for (let i = 0; i < len; i++) textBytes[base + i] = buf[start + i]!;
  textLength[slot] = len;
  textString[slot] = s;
  return s;
}

/**
 * Short ASCII is copied char by char; anything else goes through the strict UTF-8 decoder. Past 12
 * characters V8 makes each `+=` a rope node, and the decoder's one flat string is faster.
 */
function decodeText(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 12) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decodeUtf8(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8(buf, start, end);
}

function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    throw new WireError(`invalid UTF-8 in a string at byte ${start}`);
  }
}

/**
 * Ids (8 and 16 bytes) as hex through a direct-mapped cache: a batch names each span id twice (as
 * the span's and as its children's parent) and each trace id once a span. The slot comes from the
 * last three bytes, which are random in W3C Trace Context ids even when the first ones are not
 * (64-bit trace ids padded with zeros, time-prefixed ids).
 */
const ID_SLOTS = 1024;
const ID_MAX = 16;
const idBytes = new Uint8Array(ID_SLOTS * ID_MAX);
const idLength = new Uint8Array(ID_SLOTS);
const idString: string[] = new Array<string>(ID_SLOTS).fill('');
const DIGIT = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

function cachedId(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  const k = buf[end - 1]! | (buf[end - 2]! << 8) | (buf[end - 3]! << 16);
  const slot = (k ^ (k >>> 10) ^ (k >>> 20) ^ len) & (ID_SLOTS - 1);
  const base = slot * ID_MAX;
  if (idLength[slot] === len) {
    let i = 0;
    while (i < len && idBytes[base + i] === buf[start + i]) i++;
    if (i === len) return idString[slot]!;
  }
  const s = len === 8 ? hex8(buf, start) : hex16(buf, start);
  for (let i = 0; i < len; i++) idBytes[base + i] = buf[start + i]!;
  idLength[slot] = len;
  idString[slot] = s;
  return s;
}

/** Eight bytes as 16 hex characters in one flat string (one call, no intermediate strings). */
function hex8(b: Uint8Array, s: number): string {
  const d = DIGIT;
  return String.fromCharCode(
    d[b[s]! >> 4]!, d[b[s]! & 15]!, d[b[s + 1]! >> 4]!, d[b[s + 1]! & 15]!,
    d[b[s + 2]! >> 4]!, d[b[s + 2]! & 15]!, d[b[s + 3]! >> 4]!, d[b[s + 3]! & 15]!,
    d[b[s + 4]! >> 4]!, d[b[s + 4]! & 15]!, d[b[s + 5]! >> 4]!, d[b[s + 5]! & 15]!,
    d[b[s + 6]! >> 4]!, d[b[s + 6]! & 15]!, d[b[s + 7]! >> 4]!, d[b[s + 7]! & 15]!,
  );
}

/** Sixteen bytes as 32 hex characters, flat too: `hex8 + hex8` would make a rope to flatten later. */
function hex16(b: Uint8Array, s: number): string {
  const d = DIGIT;
  return String.fromCharCode(
    d[b[s]! >> 4]!, d[b[s]! & 15]!, d[b[s + 1]! >> 4]!, d[b[s + 1]! & 15]!,
    d[b[s + 2]! >> 4]!, d[b[s + 2]! & 15]!, d[b[s + 3]! >> 4]!, d[b[s + 3]! & 15]!,
    d[b[s + 4]! >> 4]!, d[b[s + 4]! & 15]!, d[b[s + 5]! >> 4]!, d[b[s + 5]! & 15]!,
    d[b[s + 6]! >> 4]!, d[b[s + 6]! & 15]!, d[b[s + 7]! >> 4]!, d[b[s + 7]! & 15]!,
    d[b[s + 8]! >> 4]!, d[b[s + 8]! & 15]!, d[b[s + 9]! >> 4]!, d[b[s + 9]! & 15]!,
    d[b[s + 10]! >> 4]!, d[b[s + 10]! & 15]!, d[b[s + 11]! >> 4]!, d[b[s + 11]! & 15]!,
    d[b[s + 12]! >> 4]!, d[b[s + 12]! & 15]!, d[b[s + 13]! >> 4]!, d[b[s + 13]! & 15]!,
    d[b[s + 14]! >> 4]!, d[b[s + 14]! & 15]!, d[b[s + 15]! >> 4]!, d[b[s + 15]! & 15]!,
  );
}

export class Reader {
  pos: number;
  /** end of the message being read; `enter()` narrows it to a nested message */
  end: number;
  /** the high 32 bits of the last `varint64()` */
  private high = 0;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array) {
    this.pos = 0;
    this.end = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Points the reader at the message in [start, end) (offsets a `delimited()` read returned). */
  moveTo(start: number, end: number): void {
    this.pos = start;
    this.end = end;
  }

  /** A varint that fits 32 bits unsigned (tags, lengths, enums, uint32). Longer ones are read and truncated. */
  uint32(): number {
    // Tags and most lengths are one or two bytes.
    const pos = this.pos;
    if (pos < this.end) {
      const b0 = this.buf[pos]!;
      if (b0 < 0x80) {
        this.pos = pos + 1;
        return b0;
      }
      if (pos + 1 < this.end) {
        const b1 = this.buf[pos + 1]!;
        if (b1 < 0x80) {
          this.pos = pos + 2;
          return (b0 & 0x7f) | (b1 << 7);
        }
      }
    }
    return this.uint32Long();
  }

  private uint32Long(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return result % TWO_32;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** A varint as a 64-bit value: returns the low 32 bits, leaves the high ones in `high`. */
  private varint64(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo += bits * 2 ** (7 * i);
      else if (i === 4) {
        lo += (bits & 0x0f) * 2 ** 28;
        hi += bits >> 4;
      } else hi += bits * 2 ** (7 * i - 32);
      if (b < 0x80) {
        this.high = hi % TWO_32 >>> 0;
        return lo >>> 0;
      }
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** int64 varint (two's complement) as a decimal string. */
  int64String(): string {
    const b = this.pos < this.end ? this.buf[this.pos]! : 0x80;
    if (b < 0x80) {
      this.pos++;
      return String(b);
    }
    const lo = this.varint64();
    const hi = this.high;
    if (hi === 0) return String(lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new WireError(`truncated fixed32 at byte ${this.pos}`);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** fixed64 as a decimal string (nanosecond timestamps do not fit a JS number). */
  fixed64String(): string {
    if (this.pos + 8 > this.end) throw new WireError(`truncated fixed64 at byte ${this.pos}`);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return uint64Decimal(hi, lo);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireError(`truncated double at byte ${this.pos}`);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /**
   * Reads a length-delimited field's length and returns where its payload ends; the cursor is left
   * at the payload's start (the caller reads it, or moves past it).
   */
  delimited(): number {
    const len = this.uint32();
    const start = this.pos;
    if (start + len > this.end) throw new WireError(`length ${len} at byte ${start} runs past the end of its message (byte ${this.end})`);
    return start + len;
  }

  /**
   * Narrows the reader to the nested message at the cursor without allocating a new reader;
   * returns the outer end, to hand to `leave()` once the nested message is read.
   */
  enter(): number {
    const end = this.delimited();
    const outer = this.end;
    this.end = end;
    return outer;
  }

  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  string(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    if (start === end) return '';
    return end - start <= TEXT_MAX ? cachedText(this.buf, start, end) : decodeText(this.buf, start, end);
  }

  /** bytes as lower-case hex (ids). */
  hex(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    if (end - start === 8 || end - start === 16) return cachedId(this.buf, start, end);
    let s = '';
    for (let i = start; i < end; i++) s += HEX[this.buf[i]!];
    return s;
  }

  bytes(): Uint8Array {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  /** Skips a field of an unknown number, as protobuf requires of readers. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint64();
        return;
      case WireType.FIXED64:
        if (this.pos + 8 > this.end) throw new WireError(`truncated fixed64 at byte ${this.pos}`);
        this.pos += 8;
        return;
      case WireType.LEN:
        this.pos = this.delimited();
        return;
      case WireType.FIXED32:
        if (this.pos + 4 > this.end) throw new WireError(`truncated fixed32 at byte ${this.pos}`);
        this.pos += 4;
        return;
      case WireType.START_GROUP:
        this.skipGroup();
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /**
   * Skips a group (the cursor just past its START_GROUP tag) up to its END_GROUP. Iterative with a
   * depth count: groups nest without bound on the wire, and a recursion would let a body of 0x0B
   * bytes overflow the stack (a RangeError, not a WireError). OTLP has no groups at all, so
   * nesting past MAX_GROUP_DEPTH is refused.
   */
  private skipGroup(): void {
    let depth = 1;
    while (depth > 0) {
      const at = this.pos;
      const wire = this.uint32() & 7;
      if (wire === WireType.END_GROUP) depth--;
      else if (wire !== WireType.START_GROUP) this.skip(wire);
      else if (++depth > MAX_GROUP_DEPTH) throw new WireError(`groups nested deeper than ${MAX_GROUP_DEPTH} levels at byte ${at}`);
    }
  }
}

/** Appends protobuf fields to a growing buffer (for the small OTLP responses). */
export class Writer {
  private bytes: number[] = [];

  private varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  uint(field: number, n: number | bigint): this {
    if (n === 0 || n === 0n) return this;
    this.varint(field << 3);
    this.varint(n);
    return this;
  }

  string(field: number, s: string): this {
    if (!s) return this;
    return this.raw(field, new TextEncoder().encode(s));
  }

  raw(field: number, payload: Uint8Array): this {
    this.varint((field << 3) | WireType.LEN);
    this.varint(payload.length);
    for (const b of payload) this.bytes.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
