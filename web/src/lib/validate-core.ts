/**
 * The building blocks of the response validators: narrow `unknown` to a type or throw `Invalid`
 * naming the place (`data[0].spans[3].startTime`), and `guard` turns that into a Result.
 */
import { fail, ok, type Result } from './result';

export type Obj = Record<string, unknown>;

export class Invalid extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new Invalid(path, 'must be an object');
  return v;
}
export function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Invalid(path, 'must be an array');
  return v;
}
export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new Invalid(path, 'must be a string');
  return v;
}
export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(path, 'must be a finite number');
  return v;
}
export function optNum(v: unknown, path: string): number | undefined {
  return v === undefined || v === null ? undefined : num(v, path);
}
export function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new Invalid(path, 'must be a boolean');
  return v;
}

/** `a.b`, `a[0]`, or either alone when the other is empty. */
export const join = (prefix: string, rest: string) => (!rest ? prefix : !prefix || rest.startsWith('[') ? prefix + rest : `${prefix}.${rest}`);

/** The error re-thrown with `prefix` in front of its path (`spans[3]` + `tags[1].value`). */
export function within(e: unknown, prefix: string): unknown {
  return e instanceof Invalid ? new Invalid(join(prefix, e.path), e.message) : e;
}

/** Checks every item of a list (absent or null: empty) in place. */
export function each<T>(v: unknown, name: string, item: (x: unknown) => unknown): T[] {
  if (v === undefined || v === null) return [];
  const a = arr(v, name);
  for (let i = 0; i < a.length; i++) {
    try {
      item(a[i]);
    } catch (e) {
      throw within(e, `${name}[${i}]`);
    }
  }
  return a as T[];
}

export function guard<T>(f: () => T): Result<T> {
  try {
    return ok(f());
  } catch (e) {
    if (e instanceof Invalid) return fail(e.path, e.message);
    throw e;
  }
}

/** The `errors` array of a Jaeger envelope, as one message (or null when there is none). */
export function envelopeError(o: Obj): string | null {
  if (!Array.isArray(o.errors) || o.errors.length === 0) return null;
  return o.errors
    .map((e) => (isObj(e) ? `${typeof e.code === 'number' ? e.code + ' ' : ''}${String(e.msg ?? 'error')}` : String(e)))
    .join('; ');
}
