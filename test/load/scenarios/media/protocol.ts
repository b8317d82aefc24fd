/** Messages from image-worker.ts (IPC) to the bench. */
export type ImageVariant = 'bare sharp' | 'processImage';

export interface ImageWorkerResult {
  type: 'result';
  variant: ImageVariant;
  images: number;
  concurrency: number;
  wallMs: number;
  /** The worker's CPU over the measured images: every thread (libvips, libuv pool) included. */
  cpuMs: number;
  latenciesMs: number[];
  /** RSS after the warm-up image, before the measured ones. */
  rssBeforeMb: number;
  /** VmHWM over the measured images (the high-water mark is reset after the warm-up). */
  peakRssMb: number;
  peakIsHwm: boolean;
  sharpThreads: number;
}

export type FromImageWorker = { type: 'start' } | { type: 'progress'; done: number; rssMb: number } | ImageWorkerResult;
