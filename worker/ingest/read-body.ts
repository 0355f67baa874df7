/**
 * Reads a request body with hard size limits, before and after gzip. A gzip bomb is stopped as soon
 * as the inflated size passes the limit (streamed, never fully inflated into memory) → 413.
 */
import { ApiError } from '../http-error';

export interface BodyLimits {
  /** bytes on the wire (compressed when Content-Encoding says so) */
  maxBodyBytes: number;
  /** bytes after decompression */
  maxDecompressedBytes: number;
}

export const defaultBodyLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxDecompressedBytes: 32 * 1024 * 1024,
} as const satisfies BodyLimits;

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
