/** Errors as values: a failed step says which field, where, and why. */

export interface Problem {
  /** where the bad value was found, e.g. `data[0].spans[12].startTime` */
  path: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: Problem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(path: string, message: string): Result<T> => ({
  ok: false,
  error: { path, message },
});

export const describeProblem = (p: Problem): string => (p.path ? `${p.path}: ${p.message}` : p.message);
