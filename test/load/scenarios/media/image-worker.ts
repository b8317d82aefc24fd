import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { IMAGE_SIZES, PREVIEW_LONG_SIDE, processImage } from '../../../../server/src/modules/media/processing/index.js';
import type { FromImageWorker, ImageVariant } from './protocol.js';

/**
 * One image variant in its own process, so that its peak RSS (VmHWM) is its
 * own: `processImage`, or `bare sharp` (what the outputs cost without any of
 * processImage's checks: each size and the preview straight from the file,
 * as a first implementation would write it). One unmeasured image warms
 * libvips up, the peak is reset (/proc/self/clear_refs 5), then `images`
 * images run with `concurrency` in flight.
 */

const { values: v } = parseArgs({
  options: {
    variant: { type: 'string' },
    images: { type: 'string' },
    concurrency: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
  },
});
const variant = v.variant as ImageVariant;
const images = Number(v.images);
const concurrency = Number(v.concurrency);
const input = v.input!;
const outRoot = v.out!;

const send = (m: FromImageWorker) => process.send!(m);

function statusKb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function bare(dir: string): Promise<void> {
  for (const size of IMAGE_SIZES) {
    await sharp(input, { autoOrient: true })
      .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 82 })
      .toFile(join(dir, `${size}.webp`));
  }
  await sharp(input, { autoOrient: true })
    .resize({ width: PREVIEW_LONG_SIDE, height: PREVIEW_LONG_SIDE, fit: 'inside' })
    .blur(1.2)
    .webp({ quality: 40 })
    .toFile(join(dir, 'preview.webp'));
}

async function one(i: number): Promise<number> {
  const dir = join(outRoot, variant.replace(/\W+/g, '-'), String(i));
  await mkdir(dir, { recursive: true });
  const t0 = performance.now();
  if (variant === 'processImage') await processImage(input, dir);
  else await bare(dir);
  const ms = performance.now() - t0;
  await rm(dir, { recursive: true, force: true });
  return ms;
}

await one(-1);
let resetPeak = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  resetPeak = false;
}
const rssBeforeMb = statusKb('VmRSS') / 1024;
let maxSampledMb = rssBeforeMb;
const sampler = setInterval(() => (maxSampledMb = Math.max(maxSampledMb, statusKb('VmRSS') / 1024)), 50);

send({ type: 'start' });
const latencies: number[] = [];
let next = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < images) {
      const i = next++;
      latencies.push(await one(i));
      send({ type: 'progress', done: latencies.length, rssMb: statusKb('VmRSS') / 1024 });
    }
  }),
);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
send({
  type: 'result',
  variant,
  images,
  concurrency,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  latenciesMs: latencies,
  rssBeforeMb,
  peakRssMb: resetPeak ? statusKb('VmHWM') / 1024 : maxSampledMb,
  peakIsHwm: resetPeak,
  sharpThreads: sharp.concurrency(),
});
process.disconnect();
