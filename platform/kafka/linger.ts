import type { Publisher, TypedRecord } from './publisher.js';
import type { TopicName } from './topics.js';

interface Waiting<T extends TopicName> { record: TypedRecord<T>; resolve: () => void; reject: (err: unknown) => void }

/**
 * Records of one topic gathered for up to `lingerMs` and produced together: work that finishes
 * spread out in time (texts paced per sender) would otherwise make one produce request per record.
 * Each caller's promise resolves when its record is acknowledged.
 */
export class LingeringTopic<T extends TopicName> {
  private waiting: Waiting<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly publisher: Publisher, private readonly topic: T, private readonly lingerMs: number, private readonly maxRecords = 1000) {}

  publish(record: TypedRecord<T>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ record, resolve, reject });
      if (this.waiting.length >= this.maxRecords) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  /** Sends what waits now and waits for everything sent so far. */
  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const p = this.publisher.publish(this.topic, batch.map((w) => w.record))
      .then(() => { for (const w of batch) w.resolve(); }, (err: unknown) => { for (const w of batch) w.reject(err); })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
