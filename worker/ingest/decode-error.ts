/**
 * Errors of the decoders. A `DecodeError` refuses the whole request (the body cannot be read as the
 * format it claims, or it breaks a request-wide limit); a `FieldError` refuses one span and says
 * which of its fields is wrong, relative to the span (the decoder prefixes the span's own path).
 */

export class DecodeError extends Error {
  constructor(
    message: string,
    /** where in the request, e.g. `resourceSpans[2]`; empty for the body itself */
    readonly path: string,
    /** 400 for a body that cannot be decoded, 413 for one that breaks a size limit */
    readonly status: 400 | 413 = 400,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'DecodeError';
  }
}

export class FieldError extends Error {
  constructor(
    /** the field's path relative to the span, e.g. `attributes[3].value` */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}

/** `a.b` joined safely when either side may be empty. */
export const joinPath = (base: string, field: string): string => (!base ? field : !field ? base : field.startsWith('[') ? `${base}${field}` : `${base}.${field}`);
