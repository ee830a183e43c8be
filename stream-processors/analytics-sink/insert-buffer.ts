/**
 * Collects rows from many consumer batches and writes them together: ClickHouse wants few large
 * inserts, not one per batch. Each batch awaits flush(), which resolves once every row added before
 * it is written (group commit), so offsets are still committed only after their rows are stored.
 */
export class InsertBuffer<T> {
  private rows: T[] = [];
  private scheduled: Promise<void> | null = null;

  constructor(
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly lingerMs: number,
    private readonly maxRows: number,
  ) {}

  add(row: T): void {
    this.rows.push(row);
  }

  flush(): Promise<void> {
    if (this.rows.length === 0 && this.scheduled === null) return Promise.resolve();
    if (this.rows.length >= this.maxRows) return this.writeNow();
    this.scheduled ??= new Promise<void>((resolve) => setTimeout(resolve, this.lingerMs)).then(() => this.writeNow());
    return this.scheduled;
  }

  private async writeNow(): Promise<void> {
    this.scheduled = null;
    const rows = this.rows;
    this.rows = [];
    if (rows.length > 0) await this.write(rows);
  }
}
