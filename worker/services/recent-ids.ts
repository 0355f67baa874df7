/**
 * Ids seen lately, forgotten after a time-to-live or past a count (the oldest first): how a
 * ServiceMetrics shard recognises an edge window it already took when the edge retries its send.
 * Ids are kept in insertion order, so expiry only ever looks at the front.
 */
export class RecentIds {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  has(id: string, nowMs: number): boolean {
    const at = this.seen.get(id);
    return at !== undefined && nowMs - at <= this.ttlMs;
  }

  remember(id: string, nowMs: number): void {
    this.seen.delete(id);
    this.seen.set(id, nowMs);
    for (const [k, at] of this.seen) {
      if (nowMs - at <= this.ttlMs && this.seen.size <= this.max) break;
      this.seen.delete(k);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
