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
 *
 * Eager (`eager`): when none of this batcher's flushes is running, a batch leaves at the end of the
 * event-loop turn (the requests read in the same turn go together) instead of after `windowMs`, so a
 * quiet node adds no window to a request's latency; while a flush runs, requests wait for the window
 * or a free slot as above, and a busy node batches as before.
 *
 * Keyed (`keys`): a request names what it writes (a conversation, say), and a batch takes only requests
 * whose keys no running flush holds, first come first served per key; the others wait for the next
 * batch. Two flushes in flight then never touch the same key, so they neither wait on each other's
 * row locks nor need ordering between them, and a key's requests commit in the order they came.
 */
/** Told of each group commit a batcher made: which batcher, how many requests, how long from leaving to its outcome (s). */
export type WriteBatchObserver = (batch: string, items: number, seconds: number) => void;

export interface BatcherOptions {
  /** Told of each batch once it has its outcome (committed or failed): its requests and its time in seconds. */
  observe?: (items: number, seconds: number) => void;
  /** How long the first request of a batch waits for others, ms (default 2). */
  windowMs?: number;
  /** A batch leaves as soon as this many wait (default 128). */
  maxItems?: number;
  /** Flushes running at once (default 4): batches of disjoint work commit side by side. */
  maxConcurrent?: number;
  /** With no flush running, a batch leaves at the end of the event-loop turn, not after windowMs (default false). */
  eager?: boolean;
}

export interface KeyedBatcherOptions<I> extends BatcherOptions {
  /** What a request writes: requests sharing a key are never in two running flushes. */
  keys?: (item: I) => readonly string[];
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
  /** The pending batch's departure: the window's timer, or (eager, nothing running) the end of this turn. */
  private timer: { kind: 'window'; t: NodeJS.Timeout } | { kind: 'turn'; t: NodeJS.Immediate } | undefined;
  private running = 0;
  /** Keys held by running flushes. */
  private readonly busy = new Set<string>();
  private readonly keys: ((item: I) => readonly string[]) | undefined;
  private readonly windowMs: number;
  private readonly maxItems: number;
  private readonly maxConcurrent: number;
  private readonly eager: boolean;
  private readonly observe: ((items: number, seconds: number) => void) | undefined;

  constructor(
    /** Answers every item, in the order given (outcomes[i] is items[i]'s). */
    private readonly flush: (items: I[]) => Promise<Outcome<R>[]>,
    o: KeyedBatcherOptions<I> = {},
  ) {
    this.keys = o.keys;
    this.windowMs = o.windowMs ?? 2;
    this.maxItems = o.maxItems ?? 128;
    this.maxConcurrent = o.maxConcurrent ?? 4;
    this.eager = o.eager ?? false;
    this.observe = o.observe;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxItems) this.leave();
      else if (this.eager && this.running === 0) this.timer ??= { kind: 'turn', t: setImmediate(() => this.leave()) };
      else this.timer ??= { kind: 'window', t: setTimeout(() => this.leave(), this.windowMs) };
    });
  }

  /** Requests waiting for a batch (not those being flushed). */
  get waiting(): number {
    return this.pending.length;
  }

  private leave(): void {
    if (this.timer?.kind === 'window') clearTimeout(this.timer.t);
    else if (this.timer) clearImmediate(this.timer.t);
    this.timer = undefined;
    // Every slot busy: the batch keeps filling and leaves when a flush ends.
    if (this.running >= this.maxConcurrent || this.pending.length === 0) return;
    const { batch, held } = this.take();
    // Every waiting request's key is being flushed: the end of that flush calls leave() again.
    if (batch.length === 0) return;
    for (const k of held) this.busy.add(k);
    this.running++;
    this.run(batch).finally(() => {
      for (const k of held) this.busy.delete(k);
      this.running--;
      if (this.pending.length >= this.maxItems || (this.pending.length > 0 && this.timer === undefined)) this.leave();
    });
    // What did not fit waits for its own window.
    if (this.pending.length > 0) this.timer ??= { kind: 'window', t: setTimeout(() => this.leave(), this.windowMs) };
  }

  /** The next batch: up to maxItems waiting requests, in arrival order, none of whose keys is busy. */
  private take(): { batch: Pending<I, R>[]; held: Set<string> } {
    const held = new Set<string>();
    if (!this.keys) return { batch: this.pending.splice(0, this.maxItems), held };
    const batch: Pending<I, R>[] = [];
    const rest: Pending<I, R>[] = [];
    // Keys of a request left waiting: a later request with one of them waits too (first come, first served).
    const passed = new Set<string>();
    for (const p of this.pending) {
      const keys = this.keys(p.item);
      if (batch.length < this.maxItems && keys.every((k) => !this.busy.has(k) && !passed.has(k))) {
        batch.push(p);
        for (const k of keys) held.add(k);
      } else {
        rest.push(p);
        for (const k of keys) passed.add(k);
      }
    }
    this.pending = rest;
    return { batch, held };
  }

  private async run(batch: Pending<I, R>[]): Promise<void> {
    let outcomes: Outcome<R>[];
    const started = performance.now();
    try {
      outcomes = await this.flush(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    } finally {
      this.observe?.(batch.length, (performance.now() - started) / 1000);
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (!o) p.reject(new Error('batch flush gave no outcome for an item'));
      else if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
