/**
 * Latency samples in milliseconds, kept raw in a growing Float64Array so that
 * percentiles are exact (hdr-histogram-js is not installed, and a 10-30 s run
 * holds at most a few million samples: 8 bytes each).
 */
export class LatencyRecorder {
  private samples: Float64Array;
  private n = 0;
  private maxMs = 0;
  private sumMs = 0;

  constructor(initialCapacity = 1 << 16) {
    this.samples = new Float64Array(initialCapacity);
  }

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (this.n === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.n++] = ms;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  reset(): void {
    this.n = 0;
    this.maxMs = 0;
    this.sumMs = 0;
  }

  /** Exact percentiles (nearest rank) over every sample recorded since the last reset. */
  summary(): LatencySummary {
    if (this.n === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    const sorted = this.samples.slice(0, this.n).sort();
    return {
      count: this.n,
      mean: this.sumMs / this.n,
      p50: nearestRank(sorted, 50),
      p95: nearestRank(sorted, 95),
      p99: nearestRank(sorted, 99),
      max: this.maxMs,
    };
  }

  /** One percentile without the full summary (the progress line asks for p99 once a second). */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    return nearestRank(this.samples.slice(0, this.n).sort(), p);
  }
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of ascending samples: the smallest value with at least p% of samples at or below it. */
function nearestRank(sorted: Float64Array, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}
