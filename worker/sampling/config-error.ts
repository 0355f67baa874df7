/**
 * The error that sampling configuration (SAMPLING_RULES, TAIL_POLICIES) throws when it is loaded:
 * it names the place in the JSON (`rules[2].rate`) and what is wrong, so an operator can fix the
 * var from the message alone. Config is validated once on load, never per span.
 */
export class SamplingConfigError extends Error {
  constructor(
    /** path-like place in the JSON, e.g. `rules[2].rate` */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'SamplingConfigError';
  }
}

/** A plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses JSON, turning a syntax error into a SamplingConfigError at `root`. */
export function parseJson(json: string, root: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new SamplingConfigError(root, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Rejects fields we do not know, so a typo (`servce`) is an error instead of a rule matching everything. */
export function checkKnownFields(obj: Record<string, unknown>, path: string, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new SamplingConfigError(`${path}.${k}`, `unknown field (expected one of ${known.join(', ')})`);
  }
}

/** A probability in [0, 1]. */
export function readRate(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SamplingConfigError(path, `must be a number between 0 and 1, got ${JSON.stringify(v)}`);
  if (v < 0 || v > 1) throw new SamplingConfigError(path, `must be between 0 and 1, got ${v}`);
  return v;
}

/** A non-empty string, or a non-empty list of them (a single string is a list of one). */
export function readStringList(v: unknown, path: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw new SamplingConfigError(path, 'must be a string or a non-empty list of strings');
  return list.map((s, i) => {
    if (typeof s !== 'string' || s === '') throw new SamplingConfigError(`${path}[${i}]`, 'must be a non-empty string');
    return s;
  });
}
