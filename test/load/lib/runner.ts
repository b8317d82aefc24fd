import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgressSnapshot } from './progress.js';
import { LatencyRecorder, type LatencySummary } from './recorder.js';
import { LoadError, type LoopRun } from './scenario.js';

export interface RunOptions {
  label: string;
  inflight: number;
  durationS: number;
  warmupS: number;
  /** At most this many requests per second per loop; 0 = closed loop, next request as soon as the ack arrives. */
  ratePerLoop: number;
  onProgress(s: ProgressSnapshot): void;
  /** Called when warm-up ends and counting starts (bench snapshots server CPU here). */
  onMeasureStart?(): void;
}

export interface RunResult {
  label: string;
  clients: number;
  inflight: number;
  /** Length of the measured window, seconds. */
  durationS: number;
  sent: number;
  acked: number;
  errors: number;
  errorCodes: Record<string, number>;
  /** Positive acks per second that arrived inside the measured window. */
  throughput: number;
  latency: LatencySummary;
  /** CPU of the process that ran the loop, % of one core over the window. */
  clientCpuPct: number;
  /** Loops that stopped early on a fatal error (lost socket). */
  loopsLost: number;
}

/**
 * The client loop: `clients × inflight` loops, loop l driving client
 * l % clients, each sending its next request when the previous one is
 * answered (optionally paced). Warm-up requests are neither counted nor
 * timed; latency is taken for every request started in the measured window,
 * throughput from acks that arrived inside it.
 */
export async function runLoop(run: LoopRun, o: RunOptions): Promise<RunResult> {
  const all = new LatencyRecorder();
  const window = new LatencyRecorder(1 << 12);
  const errorCodes = new Map<string, number>();
  let generation = 0;
  let phase: ProgressSnapshot['phase'] = o.warmupS > 0 ? 'warmup' : 'measure';
  let stopping = false;
  let sent = 0;
  let acked = 0;
  let ackedInWindow = 0;
  let errors = 0;
  let loopsLost = 0;
  let phaseStart = performance.now();
  let measureStart = phaseStart;
  let measureCpu = process.cpuUsage();
  const intervalMs = o.ratePerLoop > 0 ? 1000 / o.ratePerLoop : 0;

  const loop = async (client: number) => {
    let nextAt = performance.now();
    while (!stopping) {
      if (intervalMs > 0) {
        const wait = nextAt - performance.now();
        if (wait > 1) await sleep(wait);
        nextAt = Math.max(nextAt + intervalMs, performance.now());
        if (stopping) break;
      }
      const gen = generation;
      sent++;
      const t0 = performance.now();
      try {
        await run.request(client);
        if (gen !== generation) continue;
        const ms = performance.now() - t0;
        acked++;
        if (!stopping) ackedInWindow++;
        all.record(ms);
        window.record(ms);
      } catch (err) {
        const e = err instanceof LoadError ? err : new LoadError('CLIENT_ERROR', String(err));
        if (gen === generation) {
          errors++;
          errorCodes.set(e.code, (errorCodes.get(e.code) ?? 0) + 1);
        }
        if (e.fatal) {
          loopsLost++;
          return;
        }
      }
    }
  };

  let lastTick = performance.now();
  const startMeasuring = () => {
    generation++;
    phase = 'measure';
    sent = acked = ackedInWindow = errors = 0;
    errorCodes.clear();
    all.reset();
    window.reset();
    phaseStart = measureStart = lastTick = performance.now();
    measureCpu = process.cpuUsage();
    o.onMeasureStart?.();
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    o.onProgress({
      label: o.label,
      phase,
      elapsedS: (now - phaseStart) / 1000,
      sent,
      acked,
      errors,
      rate: (window.count * 1000) / (now - lastTick),
      p99Ms: window.percentile(99),
    });
    window.reset();
    lastTick = now;
  }, 1000);

  if (phase === 'measure') startMeasuring();
  const loops = Array.from({ length: run.clients * o.inflight }, (_, l) => loop(l % run.clients));
  let measureEnd = measureStart;
  let cpu = measureCpu;
  try {
    if (o.warmupS > 0) {
      await sleep(o.warmupS * 1000);
      startMeasuring();
    }
    await sleep(o.durationS * 1000);
    stopping = true;
    measureEnd = performance.now();
    cpu = process.cpuUsage(measureCpu);
    // Bounded: each outstanding request ends at its ack timeout at the latest.
    await Promise.all(loops);
  } finally {
    stopping = true;
    clearInterval(ticker);
  }

  const windowS = (measureEnd - measureStart) / 1000;
  return {
    label: o.label,
    clients: run.clients,
    inflight: o.inflight,
    durationS: windowS,
    sent,
    acked,
    errors,
    errorCodes: Object.fromEntries(errorCodes),
    throughput: ackedInWindow / windowS,
    latency: all.summary(),
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / (measureEnd - measureStart)) * 100,
    loopsLost,
  };
}
