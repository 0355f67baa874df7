/**
 * Recycling for the virtualized waterfall: the rows in view are dealt to a fixed number of slots,
 * row k always to slot k mod size. While the window scrolls, a row that stays on screen keeps its
 * slot and the very same item object, so the component drawing that slot has nothing to update;
 * only the rows scrolling in take over the slots of the rows scrolling out. Creating and
 * destroying a row component per row that enters or leaves cost most of each scrolled frame.
 */
export class RowPool<T> {
  private items = new Map<number, T>();

  /** `make(k)`: the item for row k, made once while it stays in the window. */
  constructor(private readonly make: (k: number) => T) {}

  /** Slot contents for rows [start, end): slot k mod size holds row k's item, the rest null. */
  slots(start: number, end: number, size: number): Array<T | null> {
    const n = Math.max(size, end - start);
    const out: Array<T | null> = [];
    for (let s = 0; s < n; s++) out.push(null);
    const next = new Map<number, T>();
    for (let k = start; k < end; k++) {
      const item = this.items.get(k) ?? this.make(k);
      next.set(k, item);
      out[k % n] = item;
    }
    this.items = next;
    return out;
  }
}
