/**
 * A small protobuf wire-format reader and writer: just what the OTLP messages need (varint,
 * 64-bit fixed, length-delimited), with bounds checked on every read so that a truncated or hostile
 * body fails with a `WireError` instead of reading past the end. Generated code and reflection are
 * avoided on purpose: the edge decodes every span, and this keeps it lean.
 */

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

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
  const low = b % 1e6;
  const top = hi * 4294 + (b - low) / 1e6;
  return `${top}${String(low).padStart(6, '0')}`;
}

export class Reader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    /** end of the message being read; `enter()` narrows it to a nested message */
    public end = buf.length,
    view?: DataView,
  ) {
    this.pos = start;
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint that fits 32 bits unsigned (tags, lengths, enums, uint32). Longer ones are read and truncated. */
  uint32(): number {
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

  /** A varint as the two 32-bit halves of a 64-bit value. */
  private varint64(): [lo: number, hi: number] {
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
      if (b < 0x80) return [lo >>> 0, hi % TWO_32 >>> 0];
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** int64 varint (two's complement) as a decimal string. */
  int64String(): string {
    const [lo, hi] = this.varint64();
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

  /** Start and end of a length-delimited field's payload; moves past it. */
  span(): [start: number, end: number] {
    const len = this.uint32();
    const start = this.pos;
    if (start + len > this.end) throw new WireError(`length ${len} at byte ${start} runs past the end of its message (byte ${this.end})`);
    this.pos = start + len;
    return [start, start + len];
  }

  /**
   * Narrows the reader to the nested message at the cursor without allocating a new reader;
   * returns the outer end, to hand to `leave()` once the nested message is read.
   */
  enter(): number {
    const len = this.uint32();
    if (this.pos + len > this.end) throw new WireError(`length ${len} at byte ${this.pos} runs past the end of its message (byte ${this.end})`);
    const outer = this.end;
    this.end = this.pos + len;
    return outer;
  }

  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  sub(): Reader {
    const [start, end] = this.span();
    return new Reader(this.buf, start, end, this.view);
  }

  string(): string {
    const [start, end] = this.span();
    if (end - start < 64) {
      let s = '';
      for (let i = start; i < end; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return this.decodeUtf8(start, end);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.decodeUtf8(start, end);
  }

  private decodeUtf8(start: number, end: number): string {
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      throw new WireError(`invalid UTF-8 in a string at byte ${start}`);
    }
  }

  /** bytes as lower-case hex (ids). */
  hex(): string {
    const [start, end] = this.span();
    let s = '';
    for (let i = start; i < end; i++) s += HEX[this.buf[i]!];
    return s;
  }

  bytes(): Uint8Array {
    const [start, end] = this.span();
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
        this.span();
        return;
      case WireType.FIXED32:
        if (this.pos + 4 > this.end) throw new WireError(`truncated fixed32 at byte ${this.pos}`);
        this.pos += 4;
        return;
      case WireType.START_GROUP: {
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === WireType.END_GROUP) return;
          this.skip(tag & 7);
        }
      }
      default:
        throw new WireError(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }
}

/** Expects `wireType` for field `field`, or says what came instead. */
export function expectWire(actual: number, wanted: number, field: string): void {
  if (actual !== wanted) throw new WireError(`field ${field} has wire type ${actual}, expected ${wanted}`);
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
