import type { AnalyticsEventKind } from '../../../../shared/analytics.js';
import type { Logger } from '../../logger.js';
import type { AnalyticsStore, EventRow } from './analytics.store.js';

/** What other modules are given: record an event after their commit; never awaits, never throws. */
export interface EventRecorder {
  record(kind: AnalyticsEventKind, userId: string, props?: Record<string, unknown>): void;
  /** One chat message sent: counted in memory and written as one 'message' event per sender per flush. */
  message(userId: string): void;
}

export interface RecorderOptions {
  /** How long an event may wait in the buffer before a flush writes it. */
  flushMs: number;
  /** A buffer this long is written at once. */
  maxBatch: number;
  /** Past this many waiting events (PostgreSQL down), new ones are dropped and counted, so memory stays bounded. */
  maxBuffered: number;
}

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = { flushMs: 1000, maxBatch: 500, maxBuffered: 50_000 };

/**
 * The per-node buffer of analytics events. record() only pushes to an array; a timer (started by the
 * first event, unref'd so it never holds a process open) or a full batch writes the buffer in one
 * multi-row INSERT. A failed write keeps the events for the next flush (up to maxBuffered) and is
 * logged, never thrown: analytics must not fail the action it describes. stop() writes what is left.
 */
export class AnalyticsRecorder implements EventRecorder {
  private buffer: EventRow[] = [];
  private readonly messages = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;

  constructor(private readonly d: { store: AnalyticsStore; logger: Logger; options: RecorderOptions }) {}

  record(kind: AnalyticsEventKind, userId: string, props: Record<string, unknown> = {}): void {
    if (this.buffer.length >= this.d.options.maxBuffered) {
      this.dropped++;
      return;
    }
    this.buffer.push({ kind, userId, at: new Date(), props });
    this.schedule(this.buffer.length >= this.d.options.maxBatch);
  }

  message(userId: string): void {
    this.messages.set(userId, (this.messages.get(userId) ?? 0) + 1);
    this.schedule(false);
  }

  /** Writes everything waiting now (tests and shutdown); resolves when it is written or has failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async stop(): Promise<void> {
    await this.flush();
  }

  /** Events waiting (for the bench and tests). */
  get pending(): number {
    return this.buffer.length + this.messages.size;
  }

  private schedule(now: boolean): void {
    if (now) {
      void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.d.options.flushMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const at = new Date();
    for (const [userId, count] of this.messages) this.buffer.push({ kind: 'message', userId, at, props: { count } });
    this.messages.clear();
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    let written = 0;
    try {
      for (; written < rows.length; written += this.d.options.maxBatch) await this.d.store.insertEvents(rows.slice(written, written + this.d.options.maxBatch));
      if (this.dropped) {
        this.d.logger.warn({ dropped: this.dropped }, 'analytics events dropped while the buffer was full');
        this.dropped = 0;
      }
    } catch (err) {
      // Batches already written are not kept, so a retry never writes an event twice.
      const left = rows.slice(written);
      this.d.logger.error({ err, events: left.length }, 'analytics events not written; kept for the next flush');
      this.buffer = left.concat(this.buffer).slice(0, this.d.options.maxBuffered);
      if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), this.d.options.flushMs);
        this.timer.unref();
      }
    }
  }
}
