import { isRetryable, toLedgerError, batchRefusal } from './ledger.errors.js';
import type { ApplyResult, BatchOp, Leg, LedgerStore } from './ledger.store.js';

/**
 * Group commit of standalone ledger operations on one process.
 *
 *   spend ─┐                 lane 0 (shards 0, 2, 4, …)   ┌─ one ledger_apply_batch call,
 *   spend ─┼─ shard % lanes ─▶ queue ──▶ in flight ───────┤  one transaction, one commit
 *   hold  ─┘                 lane 1 (shards 1, 3, 5, …)   └─ each caller resolved after it
 *
 * A lane has at most one batch in flight. An operation arriving at an idle
 * lane is sent on the next turn of the event loop (with whatever arrived in
 * the same turn, or after `windowMs` when set); operations arriving while a
 * batch is in flight wait for it and go together in the next one, up to
 * `maxOps`. So at low load an operation goes alone, as before, and under load
 * the batch grows to what arrived during one round trip: the commit, the
 * statement and the lock set are paid once per batch, not per operation.
 * Lanes split by chain shard, so two lanes' batches never share a chain head
 * or a revenue/escrow shard and can run side by side on two cores; they may
 * share wallets, and then wait for each other (ledger_apply_batch locks in a
 * fixed order, so they cannot deadlock).
 *
 * A caller's promise settles only after the batch's commit (or its failure).
 * If the whole statement fails for a reason that is not one operation's
 * refusal (a user that does not exist, a malformed key), the batch is run
 * again one operation at a time, so that only the culprit fails.
 */
export interface BatcherOptions {
  /** Batches in flight at once, each for its own set of chain shards (default 2: one per core of a small database). */
  lanes: number;
  /** Most operations in one batch (default 256). */
  maxOps: number;
  /** How long an idle lane waits for company before sending, in ms (default 0: the next event-loop turn). */
  windowMs: number;
}

interface Pending {
  op: BatchOp;
  resolve: (r: ApplyResult) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  queue: Pending[];
  busy: boolean;
}

const MAX_ATTEMPTS = 4;

export class LedgerBatcher {
  private readonly lanes: Lane[];
  /** Batches sent and operations in them, for benchmarks and logs. */
  readonly stats = { batches: 0, ops: 0, fallbacks: 0 };

  constructor(
    private readonly d: {
      store: Pick<LedgerStore, 'applyBatch'>;
      /** The one-operation path (ledger_apply with its retries): the fallback when a whole batch fails. */
      single: (shard: number, legs: Leg[]) => Promise<ApplyResult>;
      options: BatcherOptions;
      /** Told of each batch once every operation of it is settled: operations and seconds. */
      observe?: (items: number, seconds: number) => void;
    },
  ) {
    this.lanes = Array.from({ length: Math.max(1, d.options.lanes) }, () => ({ queue: [], busy: false }));
  }

  submit(shard: number, legs: Leg[]): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      const lane = this.lanes[shard % this.lanes.length]!;
      lane.queue.push({ op: { shard, legs }, resolve, reject });
      // The first arrival at an idle lane schedules the send; later ones ride along.
      if (!lane.busy && lane.queue.length === 1) this.schedule(lane);
    });
  }

  private schedule(lane: Lane): void {
    lane.busy = true;
    const go = () => void this.flush(lane);
    if (this.d.options.windowMs > 0) setTimeout(go, this.d.options.windowMs);
    else setImmediate(go);
  }

  private async flush(lane: Lane): Promise<void> {
    const items = lane.queue.splice(0, Math.max(1, this.d.options.maxOps));
    const started = performance.now();
    try {
      await this.run(items);
    } finally {
      this.d.observe?.(items.length, (performance.now() - started) / 1000);
      lane.busy = false;
      if (lane.queue.length > 0) this.schedule(lane);
    }
  }

  /** Never throws: every item is settled. */
  private async run(items: Pending[]): Promise<void> {
    this.stats.batches++;
    this.stats.ops += items.length;
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.d.store.applyBatch(
          items.map((i) => i.op),
          false,
        );
        results.forEach((r, k) => {
          if (r.ok) items[k]!.resolve({ replayed: r.replayed, transfers: r.transfers });
          else items[k]!.reject(batchRefusal(r.code, r.detail));
        });
        return;
      } catch (err) {
        // A deadlock with a caller's own transaction, or a key another process wrote meanwhile: run it again.
        if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
        if (items.length === 1) {
          items[0]!.reject(toLedgerError(err));
          return;
        }
        this.stats.fallbacks++;
        await Promise.all(items.map((i) => this.d.single(i.op.shard, i.op.legs).then(i.resolve, i.reject)));
        return;
      }
    }
  }
}
