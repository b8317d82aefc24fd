/**
 * Limits for one call of processImage / processVideo. The media module reads
 * them from config and passes them in; every field has a default here so a
 * caller (tests, the bench) can override only what it cares about.
 */
export interface MediaLimits {
  /** Largest input file, bytes. Images default 25 MiB, videos 256 MiB. */
  maxBytes: number;
  /**
   * Largest decoded frame, width × height as the header claims (checked before
   * any pixel is decoded). Default 50 MP: a 48/50 MP phone photo (8160×6120)
   * passes; a 100000×100000 header is refused.
   */
  maxPixels: number;
  /** Longest video, seconds (default 180). */
  maxVideoSeconds: number;
  /** Output video bound: the long side is scaled down to this (never up). Default 1280. */
  maxVideoLongSide: number;
  /**
   * Wall-clock budget for the whole call, ms, child processes included; past it
   * they are killed and MediaTimeout is thrown. Images default 30 s, videos 10 min.
   */
  timeoutMs: number;
}

export interface ProcessOptions extends Partial<MediaLimits> {
  /** Aborting kills the child processes at once and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** ffmpeg/x264 threads (default: ffmpeg's choice, one per core). */
  threads?: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<MediaLimits> = Object.freeze({
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 50_000_000,
  maxVideoSeconds: 180,
  maxVideoLongSide: 1280,
  timeoutMs: 30_000,
});

export const DEFAULT_VIDEO_LIMITS: Readonly<MediaLimits> = Object.freeze({
  ...DEFAULT_IMAGE_LIMITS,
  maxBytes: 256 * 1024 * 1024,
  timeoutMs: 600_000,
});

export function resolveLimits(defaults: Readonly<MediaLimits>, opts: ProcessOptions = {}): MediaLimits {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as Array<keyof MediaLimits>) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`media limit ${key} must be a positive number, got ${v}`);
    out[key] = v;
  }
  return out;
}

/** A wall-clock deadline shared by every step of one call. */
export class Deadline {
  private readonly at: number;
  constructor(readonly timeoutMs: number) {
    this.at = performance.now() + timeoutMs;
  }
  /** Milliseconds left (at least 1, so a step that starts late still times out rather than running unbounded). */
  remaining(): number {
    return Math.max(1, Math.floor(this.at - performance.now()));
  }
  expired(): boolean {
    return performance.now() >= this.at;
  }
}
