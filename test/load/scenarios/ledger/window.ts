import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { pgError } from '../../../../server/src/db/database.js';
import { AppError } from '../../../../server/src/errors.js';
import { CpuWatch, load1 } from '../../lib/machine.js';
import type { ProgressPrinter } from '../../lib/progress.js';
import { LatencyRecorder } from '../../lib/recorder.js';
import type { Row } from './report.js';

/**
 * One measured window of one variant: `concurrency` workers, each running
 * `op` one at a time (a closed loop), the live line, and the lock waiters of
 * the bench's database sampled every 200 ms.
 */
export async function measureWindow(o: {
  label: string;
  concurrency: number;
  warmupS: number;
  durationS: number;
  op: (worker: number) => Promise<void>;
  printer: ProgressPrinter;
  watch: CpuWatch;
  admin: pg.Client;
  dbName: string;
  /** Ctrl-C: the workers stop at once (the clean-up closes their pool; they must not spin on its errors). */
  signal: AbortSignal;
}): Promise<Omit<Row, 'round' | 'variant' | 'unitsPerOp' | 'retries'>> {
  const rec = new LatencyRecorder();
  const tick = new LatencyRecorder(1 << 12);
  const errorCodes = new Map<string, number>();
  let measuring = o.warmupS === 0;
  let stopping = false;
  let started = 0;
  let done = 0;
  let doneInWindow = 0;
  let errors = 0;

  const worker = async (w: number) => {
    while (!stopping && !o.signal.aborted) {
      const inWindow = measuring;
      started++;
      const t0 = performance.now();
      try {
        await o.op(w);
        const ms = performance.now() - t0;
        done++;
        tick.record(ms);
        if (measuring && !stopping) doneInWindow++;
        if (inWindow) rec.record(ms);
      } catch (err) {
        if (inWindow) {
          errors++;
          const code = errorCode(err);
          errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
        }
      }
    }
  };

  let phaseStart = performance.now();
  let lastTick = phaseStart;
  const ticker = setInterval(() => {
    const now = performance.now();
    o.printer.update({
      label: o.label,
      phase: measuring ? 'measure' : 'warmup',
      elapsedS: (now - phaseStart) / 1000,
      sent: started,
      acked: done,
      errors,
      rate: (tick.count * 1000) / (now - lastTick),
      p99Ms: tick.percentile(99),
    });
    tick.reset();
    lastTick = now;
  }, 1000);

  // Lock waits: how many of this database's backends wait for a row lock at any instant.
  let samples = 0;
  let lockSum = 0;
  let activeSum = 0;
  let sampling = false;
  const sampler = setInterval(() => {
    if (!measuring || stopping || sampling) return;
    sampling = true;
    o.admin
      .query<{ lock: number; active: number }>(
        `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS lock, count(*) FILTER (WHERE state = 'active')::int AS active
         FROM pg_stat_activity WHERE datname = $1`,
        [o.dbName],
      )
      .then((r) => {
        samples++;
        lockSum += r.rows[0]!.lock;
        activeSum += r.rows[0]!.active;
      })
      .catch(() => undefined)
      .finally(() => (sampling = false));
  }, 200);

  const workers = Array.from({ length: o.concurrency }, (_, w) => worker(w));
  let cpu0 = await o.watch.snapshot();
  let windowStart = performance.now();
  try {
    if (o.warmupS > 0) {
      await sleep(o.warmupS * 1000);
      cpu0 = await o.watch.snapshot();
      measuring = true;
      started = done = 0;
      windowStart = phaseStart = performance.now();
    }
    const startLoad = load1();
    await sleep(o.durationS * 1000);
    stopping = true;
    const windowEnd = performance.now();
    const cpu1 = await o.watch.snapshot();
    await Promise.all(workers);
    const windowS = (windowEnd - windowStart) / 1000;
    return {
      concurrency: o.concurrency,
      windowS,
      ops: doneInWindow,
      opsPerS: doneInWindow / windowS,
      unitsPerS: 0,
      latency: rec.summary(),
      errors,
      errorCodes: Object.fromEntries(errorCodes),
      cpu: CpuWatch.window(cpu0, cpu1),
      lockWaiting: samples ? lockSum / samples : 0,
      active: samples ? activeSum / samples : 0,
      load1: startLoad,
    };
  } finally {
    stopping = true;
    clearInterval(ticker);
    clearInterval(sampler);
    o.printer.end();
  }
}

function errorCode(err: unknown): string {
  if (err instanceof AppError) return err.code;
  const pgErr = pgError(err);
  if (pgErr?.code) return `pg ${pgErr.code}`;
  return err instanceof Error ? err.name : 'ERROR';
}
