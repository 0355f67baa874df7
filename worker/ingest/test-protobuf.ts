/**
 * Protobuf framing for the tests' hand-made bodies (not used by the running code): varints,
 * length-delimited and fixed64 fields, and reading a field back out of a message.
 */

export function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A length-delimited field `num` around `payload`. */
export const field = (num: number, payload: Uint8Array | number[]) => concat([(num << 3) | 2, ...varint(payload.length)], payload);

/** A fixed64 field `num` (little-endian, as the wire format has it). */
export const fixed64 = (num: number, v: bigint) => concat([(num << 3) | 1], new Uint8Array(new BigUint64Array([v]).buffer));

export const utf8 = (s: string) => new TextEncoder().encode(s);

/** The payload of the first length-delimited field `num` of a message. */
export function fieldOf(msg: Uint8Array, num: number): Uint8Array {
  let i = 0;
  const read = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = msg[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (i < msg.length) {
    const tag = read();
    const wire = tag & 7;
    if (wire === 0) read();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else {
      const len = read();
      if (tag >>> 3 === num) return msg.subarray(i, i + len);
      i += len;
    }
  }
  throw new Error(`no field ${num}`);
}
