import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Memory and CPU of a server process at one instant. */
export interface ProcessSample {
  rssBytes: number;
  heapUsedBytes: number;
  /** User + system CPU time consumed so far, µs. */
  cpuUs: number;
  /** Highest RSS seen by the sampler since its last reset (0 when not sampled). */
  peakRssBytes: number;
  /** performance.now() of the process that took it, or Date.now() for scraped samples; only differences matter. */
  atMs: number;
}

/** Samples this process; keeps the peak RSS with a 250 ms timer that does not hold the process open. */
export function localProbe(): { sample(): ProcessSample; resetPeak(): void; stop(): void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 250);
  timer.unref();
  return {
    sample() {
      const m = process.memoryUsage();
      const cpu = process.cpuUsage();
      peak = Math.max(peak, m.rss);
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, cpuUs: cpu.user + cpu.system, peakRssBytes: peak, atMs: performance.now() };
    },
    resetPeak() {
      peak = process.memoryUsage.rss();
    },
    stop: () => clearInterval(timer),
  };
}

/** Server resource use over a measured window. */
export interface ServerUsage {
  rssBeforeMb: number;
  rssAfterMb: number;
  rssPeakMb?: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  /** % of one core over the window. */
  cpuPct?: number;
}

const MB = 1024 * 1024;

/**
 * `before` is taken with every client connected and idle, `windowStart` and
 * `after` bracket the measured window (CPU is their difference).
 */
export function usageOf(before: ProcessSample, windowStart: ProcessSample | undefined, after: ProcessSample): ServerUsage {
  const cpuPct = windowStart && after.atMs > windowStart.atMs
    ? ((after.cpuUs - windowStart.cpuUs) / 1000 / (after.atMs - windowStart.atMs)) * 100
    : undefined;
  return {
    rssBeforeMb: before.rssBytes / MB,
    rssAfterMb: after.rssBytes / MB,
    ...(after.peakRssBytes ? { rssPeakMb: after.peakRssBytes / MB } : {}),
    heapBeforeMb: before.heapUsedBytes / MB,
    heapAfterMb: after.heapUsedBytes / MB,
    ...(cpuPct !== undefined ? { cpuPct } : {}),
  };
}

/** Adds up the usage of several nodes (load against a cluster). */
export function sumUsage(list: ServerUsage[]): ServerUsage | undefined {
  if (list.length === 0) return undefined;
  const sum = (f: (u: ServerUsage) => number | undefined) => list.reduce((a, u) => a + (f(u) ?? 0), 0);
  return {
    rssBeforeMb: sum((u) => u.rssBeforeMb),
    rssAfterMb: sum((u) => u.rssAfterMb),
    heapBeforeMb: sum((u) => u.heapBeforeMb),
    heapAfterMb: sum((u) => u.heapAfterMb),
    ...(list.every((u) => u.cpuPct !== undefined) ? { cpuPct: sum((u) => u.cpuPct) } : {}),
  };
}

/**
 * Samples a running Pairly node through its Prometheus endpoint (prom-client's
 * default process metrics). Undefined when the node does not expose them.
 */
export async function scrapeProbe(baseUrl: string): Promise<ProcessSample | undefined> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    const text = await res.text();
    const rss = metricValue(text, 'process_resident_memory_bytes');
    const heap = metricValue(text, 'nodejs_heap_size_used_bytes');
    const cpu = metricValue(text, 'process_cpu_seconds_total');
    if (rss === undefined || heap === undefined || cpu === undefined) return undefined;
    return { rssBytes: rss, heapUsedBytes: heap, cpuUs: cpu * 1e6, peakRssBytes: 0, atMs: Date.now() };
  } catch {
    return undefined;
  }
}

/** One sample's value from Prometheus text: the first series of `name` carrying every one of `labels` (none: whatever its labels). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.eE+-]+)`, 'gm'))) {
    const has = new Map([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (wanted.every(([k, v]) => has.get(k) === v)) return Number(m[2]);
  }
  return undefined;
}

/** Whole-machine CPU counters from /proc/stat (Linux), in clock ticks; undefined elsewhere. */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu | undefined {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [, ...fields] = first.trim().split(/\s+/);
    const n = fields.map(Number);
    // user nice system idle iowait irq softirq steal: idle + iowait is not busy.
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Busy % of the whole machine between two readings, where 100% = every core busy. */
export function machineBusyPct(a: MachineCpu | undefined, b: MachineCpu | undefined): number | undefined {
  if (!a || !b || b.total <= a.total) return undefined;
  return ((b.busy - a.busy) / (b.total - a.total)) * 100;
}

/** CPU µs per clock tick: /proc counts CPU in USER_HZ ticks (100 on every Linux this runs on). */
const TICK_US = 10_000;
const PAGE = 4096;

export interface ProcStat {
  comm: string;
  /** User + system CPU so far (all threads), µs. */
  cpuUs: number;
  rssBytes: number;
}

/** /proc/<pid>/stat (Linux); undefined once the process is gone. */
export function procStat(pid: number | string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after its last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    // After "(comm) " the state is field 3, so utime (14) is [11], stime (15) [12], rss (24) [21].
    const f = text.slice(close + 2).split(' ');
    return { comm, cpuUs: (Number(f[11]) + Number(f[12])) * TICK_US, rssBytes: Number(f[21]) * PAGE };
  } catch {
    return undefined;
  }
}

export interface QuietWait {
  /** Whole machine busy over the last 2 s, % of one core. */
  busyPct: number;
  /** Some check found the machine busier than asked. */
  waited: boolean;
  /** Gave up after `maxS`: the run shares the machine. */
  timedOut: boolean;
}

/**
 * The machine is shared: waits until all of it (other people's tests,
 * PostgreSQL, Redis, this run's idle processes) is busy at most `pct` % of
 * one core over 2 s, or `maxS` have passed, or `stop()` says so. `onBusy`
 * hears about the first busy check.
 */
export async function waitForQuiet(o: { pct: number; maxS: number; onBusy(busyPct: number): void; stop?(): boolean }): Promise<QuietWait> {
  const deadline = performance.now() + o.maxS * 1000;
  for (let waited = false; ; waited = true) {
    const a = machineCpu();
    await sleep(2000);
    const busyPct = (machineBusyPct(a, machineCpu()) ?? 0) * cpus().length;
    if (busyPct <= o.pct || o.stop?.()) return { busyPct, waited, timedOut: false };
    if (performance.now() > deadline) return { busyPct, waited, timedOut: true };
    if (!waited) o.onBusy(busyPct);
  }
}
