import { normalizeError } from '../errors.js';

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Writes the items added in the same turn of the event loop with one statement (a consumer handles
 * many patients of a batch at once, so their rows leave together): one round trip instead of one per
 * row. Each caller's promise settles with its own row's fate. When a multi-row write fails for a
 * reason that is not transient, the rows are written one by one, so one bad row fails alone and its
 * neighbours still land.
 */
export class CoalescingWriter<T> {
  private pending: Array<Pending<T>> = [];
  private scheduled = false;

  constructor(private readonly write: (items: readonly T[]) => Promise<void>, private readonly maxItems = 500) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => { void this.flush(); });
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += this.maxItems) await this.writeChunk(all.slice(i, i + this.maxItems));
  }

  private async writeChunk(chunk: ReadonlyArray<Pending<T>>): Promise<void> {
    try {
      await this.write(chunk.map((p) => p.item));
      for (const p of chunk) p.resolve();
    } catch (err) {
      if (chunk.length === 1 || normalizeError(err).retryable) {
        for (const p of chunk) p.reject(err);
        return;
      }
      await Promise.all(chunk.map(async (p) => {
        try {
          await this.write([p.item]);
          p.resolve();
        } catch (one) {
          p.reject(one);
        }
      }));
    }
  }
}
