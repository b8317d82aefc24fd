import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './logger.js';

/**
 * V8 collects its old generation when allocation asks for it, never because the process went quiet:
 * a node that took a burst (thousands of handshakes in a reconnect storm, a mass message) keeps the
 * burst's garbage, and the pages it grew into, for as long as it then idles. Measured, a node that
 * opened 6,000 sockets still held 38 KB of heap per socket after 60 s of idling, where a heap
 * snapshot (which collects first) finds 14 KB (BENCHMARKS.md, "Connections and memory").
 *
 * Chrome runs such collections in idle time; Node has no idle-time GC. This does what it would after
 * a burst, and no more: every `intervalMs` it looks at how busy the event loop was, how many client
 * requests (HTTP requests, socket events and socket connections) the node handled, and how much the
 * old generation grew over the least it was seen at since its last collection (V8's own collections
 * lower that); when the loop is at most half busy and at most half as busy as at its busiest in the
 * last dozen looks (the burst is over), clients send at most QUIET_REQUESTS_PER_SECOND, and the old
 * generation grew by `growthBytes`, it runs one full collection (compacting: collectGarbage), at most
 * one a minute. A collection of a few hundred MB pauses the loop for up to a second (917 ms for 15,000
 * sockets here, 371 ms before it compacted; 40-55 ms without compaction for a 100 MB heap), which is
 * why it waits for the burst to end and for the traffic to stop: a node serving a steady load
 * allocates, and V8 collects as it allocates, incrementally and with pauses of a few ms (a node at 200
 * chat messages a second, half busy after a burst of sign-ups, was paused 40-55 ms by this collection
 * mid-traffic before it counted requests: BENCHMARKS.md, "The idle collector waits for the traffic to
 * stop").
 */
export class IdleCollector {
  private readonly timer: NodeJS.Timeout;
  private readonly heapUsed: () => number;
  private readonly busy: () => number;
  private readonly collect: () => void;
  /** The least heap in use seen since this collector's last collection (after V8's own, it is lower). */
  private baseline: number;
  private collections = 0;
  /** The loop's utilization at the last looks (a minute's worth at 5 s). */
  private readonly recent: number[] = [];
  /** When it last collected (ms since the epoch): at most one collection a minute (MIN_GAP_MS). */
  private lastRun = -Infinity;
  private readonly served: () => number;
  /** Requests handled up to the last look. */
  private lastServed: number;

  constructor(
    private readonly o: {
      /** Heap growth since the last full collection that a quiet loop collects (bytes). */
      growthBytes: number;
      /** How often it looks (ms). */
      intervalMs: number;
      logger: Logger;
      /** Client requests handled so far (HTTP requests, socket events and connections; Metrics.served). Without it, traffic is not looked at. */
      served?: () => number;
      /** After each collection: how long it paused the loop (ms). */
      onCollected?: (tookMs: number) => void;
      /** For tests: the heap in use, the loop's utilization since the last call, the collection. */
      probe?: { heapUsed?(): number; busy?(): number; collect?(): void };
    },
  ) {
    this.heapUsed = o.probe?.heapUsed ?? oldGenerationUsed;
    this.busy = o.probe?.busy ?? loopUtilization();
    this.collect = o.probe?.collect ?? collectGarbage;
    this.served = o.served ?? (() => 0);
    this.lastServed = this.served();
    this.baseline = this.heapUsed();
    this.timer = setInterval(() => this.look(), o.intervalMs);
    this.timer.unref();
  }

  /** Full collections it ran. */
  get ran(): number {
    return this.collections;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private look(): void {
    const busy = this.busy();
    const used = this.heapUsed();
    this.baseline = Math.min(this.baseline, used);
    const peak = Math.max(0, ...this.recent);
    this.recent.push(busy);
    if (this.recent.length > RECENT_LOOKS) this.recent.shift();
    const served = this.served();
    const perSecond = ((served - this.lastServed) * 1000) / this.o.intervalMs;
    this.lastServed = served;
    // After a burst: the loop at most half as busy as at its busiest in the last minute, and at most half busy.
    // An idle node still answers pings (15,000 idle sockets kept it 20-30% busy here, promoting a few MB a
    // second), so "the heap stopped growing" never comes; pings are not requests, so such a node counts as quiet.
    if (busy > QUIET_UTILIZATION || busy > peak / 2 || used - this.baseline < this.o.growthBytes) return;
    // A steady load is left to V8 (it collects as it allocates).
    if (perSecond > QUIET_REQUESTS_PER_SECOND) return;
    if (Date.now() - this.lastRun < MIN_GAP_MS) return;
    this.lastRun = Date.now();
    const started = performance.now();
    this.collect();
    const tookMs = performance.now() - started;
    const after = this.heapUsed();
    this.baseline = after;
    this.collections++;
    this.o.onCollected?.(tookMs);
    this.o.logger.info({ heapUsedMb: Math.round(used / 2 ** 20), afterMb: Math.round(after / 2 ** 20), tookMs: Math.round(tookMs) }, 'idle: full garbage collection');
  }
}

/** Looks whose loop utilization a look compares with (a minute's worth at 5 s). */
const RECENT_LOOKS = 12;
/** The loop at most half busy counts as quiet. */
const QUIET_UTILIZATION = 0.5;
/**
 * Clients sending at most this many requests a second count as quiet: a pause of the sizes above holds
 * up a few dozen of them at most, once. A node in use sends more (200 chat messages a second are ~400
 * socket events).
 */
const QUIET_REQUESTS_PER_SECOND = 20;
/** A half-busy node is paused by a collection at most once a minute. */
const MIN_GAP_MS = 60_000;

/**
 * The old generation in use (old and large-object spaces): where a burst's garbage waits. The young
 * generation is left out: it fills and empties every few MB of allocation, which an idle node with many
 * sockets still makes answering pings, and would look like growth that never settles.
 */
function oldGenerationUsed(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'old_space' || s.space_name === 'large_object_space') used += s.space_used_size;
  return used;
}

/** The event loop's utilization (0 to 1) since the last call. */
function loopUtilization(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return u;
  };
}

let gc: (() => void) | undefined;

/**
 * One full, blocking collection (V8's `gc`, exposed once for this process) that also compacts. A full
 * collection frees objects where they lie: after a burst the survivors are spread thinly over the
 * pages the burst grew into, and V8 keeps every page that holds one (measured: 135 MB live on 413 MB of
 * heap pages, RSS unchanged half a minute later). V8 moves objects off sparse pages only when its
 * heuristics pick them; for this collection it compacts every page (`--compact-on-every-full-gc`, set
 * around this one call and off again, so V8's own collections are as before), so the pages come free
 * and go back to the system: 413 → 170 MB of heap, RSS 477 → 234 MB, for a pause about four times as
 * long; with 15,000 idle sockets, 18–19 → 15–16 KB of RSS per socket, a pause of 917 ms (BENCHMARKS.md,
 * "The idle collector compacts").
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}
