/**
 * Group commit: requests that arrive within a short window (or until `maxItems` wait) are handed to
 * one `flush` together, which answers each with its own result or its own error. A flush is one
 * database transaction, so N requests cost one commit (one WAL flush) and a few round trips instead
 * of N of each; the price is at most `windowMs` of added latency when the node is idle.
 *
 *   submit ──► pending ──(windowMs elapsed, or maxItems waiting)──► flush(batch) ──► each promise settles
 *                 ▲                                                     │
 *                 └──── while `maxConcurrent` flushes run, keep filling ┘ (the next batch leaves when one ends)
 *
 * A flush that throws settles every request of its batch with that error (nothing of it committed).
 */
export interface BatcherOptions {
  /** How long the first request of a batch waits for others, ms (default 2). */
  windowMs?: number;
  /** A batch leaves as soon as this many wait (default 128). */
  maxItems?: number;
  /** Flushes running at once (default 4): batches of disjoint work commit side by side. */
  maxConcurrent?: number;
}

interface Pending<I, R> {
  item: I;
  resolve(r: R): void;
  reject(e: unknown): void;
}

/** One request's outcome, as flush reports it: a result, or the error that request alone gets. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export class Batcher<I, R> {
  private pending: Pending<I, R>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private readonly windowMs: number;
  private readonly maxItems: number;
  private readonly maxConcurrent: number;

  constructor(
    /** Answers every item, in the order given (outcomes[i] is items[i]'s). */
    private readonly flush: (items: I[]) => Promise<Outcome<R>[]>,
    o: BatcherOptions = {},
  ) {
    this.windowMs = o.windowMs ?? 2;
    this.maxItems = o.maxItems ?? 128;
    this.maxConcurrent = o.maxConcurrent ?? 4;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxItems) this.leave();
      else this.timer ??= setTimeout(() => this.leave(), this.windowMs);
    });
  }

  /** Requests waiting for a batch (not those being flushed). */
  get waiting(): number {
    return this.pending.length;
  }

  private leave(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Every slot busy: the batch keeps filling and leaves when a flush ends.
    if (this.running >= this.maxConcurrent || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxItems);
    this.running++;
    this.run(batch).finally(() => {
      this.running--;
      if (this.pending.length >= this.maxItems || (this.pending.length > 0 && this.timer === undefined)) this.leave();
    });
    // What did not fit waits for its own window.
    if (this.pending.length > 0) this.timer ??= setTimeout(() => this.leave(), this.windowMs);
  }

  private async run(batch: Pending<I, R>[]): Promise<void> {
    let outcomes: Outcome<R>[];
    try {
      outcomes = await this.flush(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (!o) p.reject(new Error('batch flush gave no outcome for an item'));
      else if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
