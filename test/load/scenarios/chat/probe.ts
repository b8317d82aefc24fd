import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { PG_BASE_URL } from '../../../support/services.js';
import { metricValue, procStat } from '../../lib/probe.js';
import type { ServerUse } from './report.js';

/**
 * CPU and memory of processes read from /proc (Linux): the server processes
 * of a target by pid, and PostgreSQL and Redis by name, so that the chat
 * bench can show where a message's CPU goes (Node, the database, Redis).
 */

export interface ServicesSample {
  /** pid → CPU µs so far, of every postgres and every redis-server process. */
  pg: Map<number, number>;
  redis: Map<number, number>;
  atMs: number;
}

/** CPU used so far by each postgres and redis-server process on the machine. */
export function servicesCpuUs(): ServicesSample {
  const pg = new Map<number, number>();
  const redis = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (d.charCodeAt(0) < 48 || d.charCodeAt(0) > 57) continue;
    const s = procStat(d);
    if (s?.comm === 'postgres') pg.set(Number(d), s.cpuUs);
    else if (s?.comm === 'redis-server') redis.set(Number(d), s.cpuUs);
  }
  return { pg, redis, atMs: performance.now() };
}

/**
 * Each redis-server's % of one core between two samples, named by its process title (`127.0.0.1:7101
 * [cluster]`): the single Redis, and a cluster's masters and replicas, side by side.
 */
export function redisCpuLine(a: ServicesSample, b: ServicesSample): string {
  const ms = b.atMs - a.atMs;
  const parts: string[] = [];
  for (const [pid, cpu] of b.redis) {
    let title = String(pid);
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').replace(/^redis-server\s*/, '').trim();
    } catch {
      /* exited */
    }
    parts.push(`${title} ${((cpu - (a.redis.get(pid) ?? 0)) / 10 / ms).toFixed(1)}%`);
  }
  return `Redis CPU (% of a core) per redis-server: ${parts.sort().join(', ')}`;
}

/**
 * % of one core between two samples. A process that started in between counts
 * whole (a new backend); one that exited in between is missed (its last ticks
 * are unknown), so short-lived connections are undercounted, never negative.
 */
export function servicesPct(a: ServicesSample, b: ServicesSample, pgPids?: Set<number>): { pgPct: number; redisPct: number } {
  const ms = b.atMs - a.atMs;
  const delta = (x: Map<number, number>, y: Map<number, number>, only?: Set<number>) => {
    let us = 0;
    for (const [pid, cpu] of y) if (!only || only.has(pid)) us += Math.max(0, cpu - (x.get(pid) ?? 0));
    return us;
  };
  if (pgPids) return { pgPct: delta(a.pg, b.pg, pgPids) / 10 / ms, redisPct: delta(a.redis, b.redis) / 10 / ms };
  return { pgPct: delta(a.pg, b.pg) / 10 / ms, redisPct: delta(a.redis, b.redis) / 10 / ms };
}

/** A node's garbage-collection pauses since it started (prom-client's nodejs_gc_duration_seconds). */
export interface GcTotals {
  /** Scavenges of the young generation. */
  minor: { count: number; seconds: number };
  /** Full mark-compacts, and the seconds of the incremental marking steps leading to them. */
  major: { count: number; seconds: number };
}

/** What a node's /metrics tells of it. */
export interface NodeMetrics {
  heapBytes?: number;
  gc?: GcTotals;
}

export interface NodeSample {
  cpuUs: number;
  rssBytes: number;
  heapBytes?: number;
  gc?: GcTotals;
  atMs: number;
}

/** One server process: CPU and RSS from /proc, heap (and GC pauses) from `scrape()` when it can tell, peak RSS polled every 250 ms. */
export class PidSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    private readonly scrape: () => Promise<NodeMetrics | undefined> = async () => undefined,
  ) {
    this.resetPeak();
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, procStat(this.pid)?.rssBytes ?? 0);
    }, 250);
    this.timer.unref();
  }

  /** CPU and RSS at once; then, with `withHeap`, the heap and GC pauses (which may take a round trip). */
  async sample(withHeap = true): Promise<NodeSample> {
    const atMs = performance.now();
    const s = procStat(this.pid);
    if (!s) throw new Error(`process ${this.pid} is gone`);
    this.peak = Math.max(this.peak, s.rssBytes);
    const m = withHeap ? await this.scrape().catch(() => undefined) : undefined;
    return {
      cpuUs: s.cpuUs,
      rssBytes: s.rssBytes,
      atMs,
      ...(m?.heapBytes !== undefined ? { heapBytes: m.heapBytes } : {}),
      ...(m?.gc ? { gc: m.gc } : {}),
    };
  }

  get peakRssBytes(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = procStat(this.pid)?.rssBytes ?? 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const MB = 1024 * 1024;

/** Usage of a target (one or more processes, summed): memory before load → after, CPU over [start, end]. */
export function targetUse(nodes: Array<{ before: NodeSample; start: NodeSample; end: NodeSample; after: NodeSample; peakBytes: number }>): ServerUse {
  const sum = (f: (n: (typeof nodes)[number]) => number) => nodes.reduce((a, n) => a + f(n), 0);
  const heapKnown = nodes.every((n) => n.before.heapBytes !== undefined && n.after.heapBytes !== undefined);
  const gcKnown = nodes.every((n) => n.before.gc && n.after.gc);
  const gcDelta = (kind: keyof GcTotals, f: 'count' | 'seconds') => sum((n) => n.after.gc![kind][f] - n.before.gc![kind][f]);
  return {
    cpuPct: sum((n) => (n.end.cpuUs - n.start.cpuUs) / 10 / (n.end.atMs - n.start.atMs)),
    rssBeforeMb: sum((n) => n.before.rssBytes) / MB,
    rssAfterMb: sum((n) => n.after.rssBytes) / MB,
    rssPeakMb: sum((n) => Math.max(n.peakBytes, n.after.rssBytes)) / MB,
    ...(heapKnown ? { heapBeforeMb: sum((n) => n.before.heapBytes!) / MB, heapAfterMb: sum((n) => n.after.heapBytes!) / MB } : {}),
    ...(gcKnown
      ? {
          gc: {
            minorCount: gcDelta('minor', 'count'),
            minorMs: gcDelta('minor', 'seconds') * 1000,
            majorCount: gcDelta('major', 'count'),
            majorMs: gcDelta('major', 'seconds') * 1000,
          },
        }
      : {}),
  };
}

/** A Pairly node's heap (nodejs_heap_size_used_bytes) and GC pauses so far, from its /metrics. */
export async function scrapeNode(url: string): Promise<NodeMetrics | undefined> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) return undefined;
  const text = await res.text();
  const gcValue = (kind: string, part: 'count' | 'sum') => metricValue(text, `nodejs_gc_duration_seconds_${part}`, { kind });
  const minorCount = gcValue('minor', 'count');
  const majorCount = gcValue('major', 'count');
  const heapBytes = metricValue(text, 'nodejs_heap_size_used_bytes');
  return {
    ...(heapBytes !== undefined ? { heapBytes } : {}),
    // A kind that has not happened yet has no series: 0 of it.
    ...(minorCount !== undefined || majorCount !== undefined
      ? {
          gc: {
            minor: { count: minorCount ?? 0, seconds: gcValue('minor', 'sum') ?? 0 },
            major: { count: majorCount ?? 0, seconds: (gcValue('major', 'sum') ?? 0) + (gcValue('incremental', 'sum') ?? 0) },
          },
        }
      : {}),
  };
}

/**
 * The PostgreSQL processes that work for `database`: its client backends and
 * the server's own processes (WAL writer, checkpointer, ...; they serve every
 * database). Other databases' backends are left to "other CPU", so someone
 * else's tests do not count as this target's cost. Without `database`, only
 * the server's own processes.
 */
export async function pgPidsFor(database: string | undefined): Promise<Set<number>> {
  const c = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend' OR datname = $1`,
      [database ?? null],
    );
    return new Set(rows.map((r) => r.pid));
  } finally {
    await c.end();
  }
}
