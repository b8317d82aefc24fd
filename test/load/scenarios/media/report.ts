import { CORES, median, otherPct } from '../../lib/machine.js';
import { fmtMs, mdRow, pct } from '../../lib/summary.js';
import { IMAGE_SIZES, PREVIEW_LONG_SIDE, VIDEO_ENCODING } from '../../../../server/src/modules/media/processing/index.js';
import type { ImageWorkerResult } from './protocol.js';

/** The media bench's tables and notes (markdown, pasted as is into BENCHMARKS.md). */

export interface ImageRow extends ImageWorkerResult {
  round: number;
  /** Whole machine busy over the measured images, % of all cores. */
  machinePct: number | undefined;
  load1: number;
}

export interface VideoRow {
  variant: 'plain ffmpeg' | 'processVideo';
  round: number;
  wallS: number;
  /** CPU of the ffmpeg/ffprobe processes of the run, sampled every 250 ms (the last ~250 ms of each may be missed). */
  ffmpegCpuS: number;
  /** This process less the bench's /proc sampling: processVideo's own work (checks, sharp for the poster), the printer. */
  nodeCpuS: number;
  ffmpegPeakRssMb: number;
  output: string;
  outputMb: number;
  machinePct: number | undefined;
  load1: number;
  error?: string;
}

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const perS = (r: ImageRow) => r.images / (r.wallMs / 1000);
const perCore = (r: ImageRow) => r.images / (r.cpuMs / 1000);
const imageOther = (r: ImageRow) => otherPct(r.machinePct, [(r.cpuMs / r.wallMs) * 100]);

export function imageTable(rows: ImageRow[]): string {
  const head = [
    'variant', 'round', 'images', 'in flight', 'wall s', 'images/s', 'CPU ms/image', 'images/s per core', 'p50 ms', 'p95 ms', 'max ms',
    'RSS before MB', 'peak RSS MB', 'worker CPU', 'other CPU', 'load avg',
  ];
  const lines = [mdRow(head), mdRow(head.map((h, i) => (i === 0 ? '---' : '---:')))];
  for (const r of rows) {
    const lat = [...r.latenciesMs].sort((a, b) => a - b);
    lines.push(
      mdRow([
        r.variant,
        r.round,
        r.images,
        r.concurrency,
        (r.wallMs / 1000).toFixed(1),
        perS(r).toFixed(2),
        (r.cpuMs / r.images).toFixed(0),
        perCore(r).toFixed(2),
        fmtMs(nearestRank(lat, 50)),
        fmtMs(nearestRank(lat, 95)),
        fmtMs(lat.at(-1) ?? 0),
        r.rssBeforeMb.toFixed(0),
        `${r.peakRssMb.toFixed(0)}${r.peakIsHwm ? '' : ' (sampled)'}`,
        pct((r.cpuMs / r.wallMs) * 100),
        pct(imageOther(r)),
        r.load1.toFixed(2),
      ]),
    );
  }
  return lines.join('\n');
}

/** processImage ÷ bare sharp per round (the two ran back to back), and the median over rounds. */
export function imageRatioLines(rows: ImageRow[]): string[] {
  const pairs = rows
    .filter((r) => r.variant === 'processImage')
    .map((r) => [r, rows.find((b) => b.round === r.round && b.variant === 'bare sharp')] as const)
    .filter((p): p is readonly [ImageRow, ImageRow] => p[1] !== undefined);
  if (!pairs.length) return [];
  const rate = median(pairs.map(([a, b]) => perS(a) / perS(b)));
  const cpu = median(pairs.map(([a, b]) => a.cpuMs / a.images / (b.cpuMs / b.images)));
  const rss = median(pairs.map(([a, b]) => a.peakRssMb / b.peakRssMb));
  const above = (list: ImageRow[]) => median(list.map((r) => r.peakRssMb - r.rssBeforeMb)) ?? 0;
  const ours = rows.filter((r) => r.variant === 'processImage');
  const bare = rows.filter((r) => r.variant === 'bare sharp');
  return [
    `processImage ÷ bare sharp (median of ${pairs.length} round${pairs.length > 1 ? 's' : ''}): images/s ${rate?.toFixed(2)}×, CPU per image ${cpu?.toFixed(2)}×, ` +
      `peak RSS ${rss?.toFixed(2)}× (${above(ours).toFixed(0)} vs ${above(bare).toFixed(0)} MB above the idle worker)`,
    `processImage (median of ${ours.length}): ${median(ours.map(perS))?.toFixed(2)} images/s with ${ours[0]?.concurrency} in flight, ` +
      `${median(ours.map(perCore))?.toFixed(2)} images/s per core (${median(ours.map((r) => r.cpuMs / r.images))?.toFixed(0)} ms of CPU per image), ` +
      `peak RSS ${median(ours.map((r) => r.peakRssMb))?.toFixed(0)} MB`,
  ];
}

export function imageNotes(rows: ImageRow[]): string {
  const r = rows[0];
  return [
    `Each variant runs in its own worker process: one unmeasured warm-up image, then the images with ${r?.concurrency ?? '?'} in flight (libvips threads per image: ${r?.sharpThreads ?? '?'}).`,
    `Outputs: WebP ${IMAGE_SIZES.join('/')} px and a ${PREVIEW_LONG_SIDE} px blurred preview. bare sharp = each output straight from the file (four decodes, JPEG shrink-on-load), no checks;`,
    `processImage = type, structure and polyglot checks (reads the whole file), sharp metadata, one decode to ≤1280 px raw pixels, every output from those.`,
    `images/s per core = images ÷ the worker's CPU seconds (all its threads). Peak RSS = the worker's VmHWM over the measured images (reset after the warm-up).`,
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%); other = the rest of the machine in the window (other people's runs).`,
  ].join('\n');
}

export function videoTable(rows: VideoRow[]): string {
  const head = ['variant', 'round', 'wall s', '÷ plain ffmpeg', 'ffmpeg CPU s', 'node CPU s', 'ffmpeg peak RSS MB', 'output', 'output MB', 'machine busy', 'load avg'];
  const lines = [mdRow(head), mdRow(head.map((h, i) => (i === 0 ? '---' : '---:')))];
  for (const r of rows) {
    const base = rows.find((b) => b.round === r.round && b.variant === 'plain ffmpeg');
    lines.push(
      mdRow([
        r.error ? `${r.variant} (FAILED: ${r.error.slice(0, 80)})` : r.variant,
        r.round,
        r.wallS.toFixed(1),
        r === base || !base ? '—' : `${(r.wallS / base.wallS).toFixed(2)}×`,
        r.ffmpegCpuS.toFixed(1),
        r.nodeCpuS.toFixed(2),
        r.ffmpegPeakRssMb.toFixed(0),
        r.output,
        r.outputMb.toFixed(1),
        pct(r.machinePct === undefined ? undefined : r.machinePct * CORES),
        r.load1.toFixed(2),
      ]),
    );
  }
  return lines.join('\n');
}

export function videoRatioLines(rows: VideoRow[]): string[] {
  const pairs = rows
    .filter((r) => r.variant === 'processVideo' && !r.error)
    .map((r) => [r, rows.find((b) => b.round === r.round && b.variant === 'plain ffmpeg' && !b.error)] as const)
    .filter((p): p is readonly [VideoRow, VideoRow] => p[1] !== undefined);
  if (!pairs.length) return ['no complete round: no ratio'];
  const wall = median(pairs.map(([a, b]) => a.wallS / b.wallS));
  const extra = median(pairs.map(([a, b]) => a.wallS - b.wallS));
  const cpu = median(pairs.map(([a, b]) => (a.ffmpegCpuS + a.nodeCpuS) / (b.ffmpegCpuS + b.nodeCpuS)));
  const seconds = (x: number | undefined) => (x === undefined ? '?' : x >= 0 ? `${x.toFixed(1)} s more` : `${(-x).toFixed(1)} s less`);
  return [
    `processVideo ÷ plain ffmpeg (median of ${pairs.length} round${pairs.length > 1 ? 's' : ''}): wall time ${wall?.toFixed(2)}× (${seconds(extra)}), ` +
      `CPU (ffmpeg + node) ${cpu?.toFixed(2)}×`,
    ...pairs.map(([a, b]) => `- round ${a.round}: ${a.wallS.toFixed(1)} s vs ${b.wallS.toFixed(1)} s (${(a.wallS / b.wallS).toFixed(2)}×), ${a.variant === rows.find((r) => r.round === a.round)?.variant ? 'processVideo' : 'plain ffmpeg'} first`),
  ];
}

export function videoNotes(): string {
  const e = VIDEO_ENCODING;
  return [
    `Both variants encode with the same arguments (videoEncodeArgs): libx264 -preset ${e.preset} -crf ${e.crf} -maxrate ${e.maxrate} -bufsize ${e.bufsize} -profile:v high,`,
    `scale to a 1280 px long side, -fpsmax ${e.fpsMax}, AAC ${e.audioBitrate}, -movflags +faststart, -map_metadata -1. ffmpeg uses every core (no -threads).`,
    `processVideo adds: the structure walk and polyglot checks, ffprobe of the input (demuxer forced), ffprobe of the output, the box-order check,`,
    `a poster frame (ffmpeg seek + PNG) and two WebPs from it (sharp). ffmpeg CPU = the run's ffmpeg/ffprobe processes from /proc, sampled every 250 ms.`,
    `machine busy = the whole machine over the run, % of one core (${CORES} cores = ${CORES * 100}%): what is not ffmpeg is other load.`,
  ].join('\n');
}
