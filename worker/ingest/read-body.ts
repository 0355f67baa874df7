/**
 * Reads a request body with hard size limits, before and after gzip. A gzip bomb is stopped as soon
 * as the inflated size passes the limit (streamed, never fully inflated into memory) → 413. A JSON
 * body is then parsed only after a linear scan has bounded its nesting and its number of values.
 */
import { ApiError } from '../http-error';

export interface BodyLimits {
  /** bytes on the wire (compressed when Content-Encoding says so) */
  maxBodyBytes: number;
  /** bytes after decompression */
  maxDecompressedBytes: number;
}

/**
 * A Worker has 128 MB for everything: the inflated body, the text decoded from it (twice its bytes
 * when a string is not Latin-1), the parsed JSON and the decoded spans all live at once, so 32 MiB
 * inflated was too much. 16 MiB still holds a full SDK batch of 512 spans x 128 attributes of ~100
 * characters with room to spare: 8.0 MB as protobuf, 10.0 MB as OTLP JSON.
 */
export const defaultBodyLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxDecompressedBytes: 16 * 1024 * 1024,
} as const satisfies BodyLimits;

export interface JsonLimits {
  /** arrays and objects open at once */
  maxDepth: number;
  /** `[`, `{` and `,` outside strings: a bound on the values and members JSON.parse will allocate */
  maxValues: number;
}

/**
 * JSON.parse builds the whole tree before a decoder can count anything in it, at ~60 bytes of heap
 * per empty array or object in Node: 16 MB of `[[[...]]]` held 464 MB, 16 MB of `[{},{},...]` 357 MB.
 * An OTLP request nests at most 42 deep (kvlist values down to the value depth limit of 8), Zipkin 4.
 * A full SDK batch (512 spans x 128 attributes) counts ~270,000 values; at the limit the costliest
 * shapes held 16 MB (250,000 empty objects, each counted by its `{` and its `,`) and 26 MB (arrays
 * nested 60 deep, which need no commas).
 */
export const defaultJsonLimits = {
  maxDepth: 64,
  maxValues: 500_000,
} as const satisfies JsonLimits;

async function readLimited(stream: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ApiError(413, `${what} is larger than the limit of ${limit} bytes`, 'body');
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export async function readBody(req: Request, limits: BodyLimits = defaultBodyLimits): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limits.maxBodyBytes)
    throw new ApiError(413, `request body of ${declared} bytes is larger than the limit of ${limits.maxBodyBytes} bytes`, 'body');
  if (!req.body) return new Uint8Array(0);
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return readLimited(req.body, limits.maxBodyBytes, 'request body');
  if (encoding !== 'gzip' && encoding !== 'deflate')
    throw new ApiError(415, `Content-Encoding ${encoding} is not supported (use gzip or none)`, 'content-encoding');
  const raw = await readLimited(req.body, limits.maxBodyBytes, 'request body');
  const inflated = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream(encoding));
  try {
    return await readLimited(inflated, limits.maxDecompressedBytes, 'decompressed request body');
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, `body is not valid ${encoding}: ${err instanceof Error ? err.message : String(err)}`, 'body');
  }
}

/**
 * Bounds a JSON body's nesting (400) and number of values (413) in one pass over its bytes, without
 * decoding them: `"` and `\` are ASCII, never part of a multi-byte UTF-8 sequence, so strings are
 * skipped with a native search for their closing quote. Whether the body is valid JSON is left to
 * JSON.parse.
 */
export function checkJsonShape(body: Uint8Array, limits: JsonLimits = defaultJsonLimits): void {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === 0x22) {
      // to the closing quote: one preceded by an even number of backslashes
      for (;;) {
        const q = body.indexOf(0x22, i + 1);
        if (q < 0) return;
        let k = q - 1;
        while (body[k] === 0x5c) k--;
        i = q;
        if ((q - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth)
        throw new ApiError(400, `JSON body nests arrays and objects deeper than the limit of ${limits.maxDepth} (at byte ${i})`, 'body');
      if (++values > limits.maxValues) throw tooManyValues(limits);
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c && ++values > limits.maxValues) throw tooManyValues(limits);
  }
}

const tooManyValues = (limits: JsonLimits) =>
  new ApiError(413, `JSON body holds more than ${limits.maxValues} values; the limit is ${limits.maxValues} a request: send smaller batches`, 'body');

/** A JSON request body, parsed once its shape is within the limits (see `checkJsonShape`). */
export function parseJsonBody(body: Uint8Array, limits: JsonLimits = defaultJsonLimits): unknown {
  checkJsonShape(body, limits);
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw new ApiError(400, `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, 'body');
  }
}
