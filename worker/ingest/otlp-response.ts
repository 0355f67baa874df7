/**
 * The bodies OTLP/HTTP answers with, in the encoding the request used: an
 * `ExportTraceServiceResponse` on success (with `partial_success` when spans were refused or there
 * is something to warn about), and a `google.rpc.Status` on failure.
 */
import { Writer } from './protobuf-reader';

export type OtlpFormat = 'protobuf' | 'json';

/** ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1; error_message = 2 } } */
export function encodeExportResponse(rejectedSpans: number, errorMessage: string, format: OtlpFormat): Uint8Array | string {
  const partial = rejectedSpans > 0 || errorMessage !== '';
  if (format === 'json') {
    if (!partial) return '{}';
    return JSON.stringify({ partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } });
  }
  if (!partial) return new Uint8Array(0);
  const inner = new Writer().uint(1, rejectedSpans).string(2, errorMessage).finish();
  return new Writer().raw(1, inner).finish();
}

/** google.rpc.Status { code = 1; message = 2 } — codes as gRPC numbers them (3 INVALID_ARGUMENT, 14 UNAVAILABLE, ...). */
export function encodeStatus(code: number, message: string, format: OtlpFormat): Uint8Array | string {
  if (format === 'json') return JSON.stringify({ code, message });
  return new Writer().uint(1, code).string(2, message).finish();
}
