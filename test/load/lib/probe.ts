import { readFileSync } from 'node:fs';

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

function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)`, 'm').exec(text);
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
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
