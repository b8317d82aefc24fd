import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './logger.js';

/**
 * V8 collects its old generation when allocation asks for it, never because the process went quiet:
 * a node that took a burst (thousands of handshakes in a reconnect storm, a mass message) keeps the
 * burst's garbage, and the pages it grew into, for as long as it then idles. Measured, a node that
 * opened 6,000 sockets still held 38 KB of heap per socket after 60 s of idling, where a heap
 * snapshot (which collects first) finds 14 KB (BENCHMARKS.md, "Connections and memory").
 *
 * Chrome runs such collections in idle time; Node has no idle-time GC. This does what it would, and
 * no more: every `intervalMs` it looks at how busy the event loop was and how much the heap grew over
 * the least it was seen at since its last collection (V8's own collections lower that); when the loop
 * was mostly idle, the heap stopped growing (the burst is over) and it grew by `growthBytes`, it runs one. A collection of a few hundred MB pauses the loop for
 * a fraction of a second, which is why it waits for a quiet loop; a busy node collects by itself.
 */
export class IdleCollector {
  private readonly timer: NodeJS.Timeout;
  private readonly heapUsed: () => number;
  private readonly busy: () => number;
  private readonly collect: () => void;
  /** The least heap in use seen since this collector's last collection (after V8's own, it is lower). */
  private baseline: number;
  private collections = 0;
  /** Heap in use at the last look. */
  private usedBefore: number;

  constructor(
    private readonly o: {
      /** Heap growth since the last full collection that a quiet loop collects (bytes). */
      growthBytes: number;
      /** How often it looks (ms). */
      intervalMs: number;
      /** Event loop utilization over an interval under which the node counts as quiet (0 to 1; default 0.3). */
      quietUtilization?: number;
      logger: Logger;
      /** For tests: the heap in use, the loop's utilization since the last call, the collection. */
      probe?: { heapUsed(): number; busy(): number; collect(): void };
    },
  ) {
    this.heapUsed = o.probe?.heapUsed ?? (() => getHeapStatistics().used_heap_size);
    this.busy = o.probe?.busy ?? loopUtilization();
    this.collect = o.probe?.collect ?? collectGarbage;
    this.baseline = this.usedBefore = this.heapUsed();
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
    const grew = used - this.usedBefore;
    this.usedBefore = used;
    // Quiet: the burst is over (the heap stopped growing) and the loop is far from busy (an idle node still
    // answers pings: 6,000 sockets kept it 12% busy here).
    if (busy > (this.o.quietUtilization ?? 0.3) || grew > SETTLED_BYTES || used - this.baseline < this.o.growthBytes) return;
    const started = performance.now();
    this.collect();
    const after = this.heapUsed();
    this.baseline = after;
    this.collections++;
    this.o.logger.info(
      { heapUsedMb: Math.round(used / 2 ** 20), afterMb: Math.round(after / 2 ** 20), tookMs: Math.round(performance.now() - started) },
      'idle: full garbage collection',
    );
  }
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

/** Heap growth over one interval under which a burst counts as over. */
const SETTLED_BYTES = 4 * 2 ** 20;

let gc: (() => void) | undefined;

/** One full, blocking collection (V8's `gc`, exposed once for this process). */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
