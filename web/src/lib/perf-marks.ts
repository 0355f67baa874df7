/**
 * Named performance marks along the way from a trace's bytes to its first painted rows (read,
 * parsed, validated, view built, rows rendered). The waterfall benchmark reads them back to say
 * where the time went; in DevTools they show on the Performance panel's Timings track.
 */

export const MARK_PREFIX = 'edgetrace:';

export type TraceMark = 'file-chosen' | 'file-read' | 'json-parsed' | 'validated' | 'view-built' | 'rows-rendered';

export function mark(name: TraceMark): void {
  // Marks are a diagnostic: where the runtime has no User Timing (old test runners) they are skipped.
  globalThis.performance?.mark?.(MARK_PREFIX + name);
}
