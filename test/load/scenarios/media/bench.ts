import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_VIDEO_LIMITS,
  processVideo,
  videoEncodeArgs,
} from '../../../../server/src/modules/media/processing/index.js';
import { Deadline } from '../../../../server/src/modules/media/processing/limits.js';
import { probeVideo } from '../../../../server/src/modules/media/processing/probe.js';
import { runTool } from '../../../../server/src/modules/media/processing/tools.js';
import { planTranscode } from '../../../../server/src/modules/media/processing/video.js';
import { ffprobeJson } from '../../../support/media-fixtures.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { reap, spawnTs } from '../../lib/children.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, waitForLowLoad } from '../../lib/machine.js';
import { machineBusyPct, machineCpu, procStat } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { benchPhoto, benchVideo } from './fixtures.js';
import type { FromImageWorker, ImageVariant, ImageWorkerResult } from './protocol.js';
import { imageNotes, imageRatioLines, imageTable, videoNotes, videoRatioLines, videoTable, type ImageRow, type VideoRow } from './report.js';

/**
 * `npm run bench -- media`: the processing functions of the media module on
 * their own, each against its bare baseline in the same run.
 *
 * Images: a 12-megapixel JPEG (fixtures.ts) through `bare sharp` (the three
 * WebP sizes and the preview straight from the file, no checks) and then
 * `processImage` (detection, polyglot and structure checks, one decode, the
 * same outputs), each variant in its own child process (image-worker.ts) so
 * that its peak RSS is its own. images/s per core = images ÷ the worker's
 * CPU seconds (every libvips thread counted).
 *
 * Video: a 1-minute 1080p MP4 through plain `ffmpeg` with exactly the
 * settings processVideo uses (videoEncodeArgs: same scale, codecs, CRF,
 * preset, faststart) and through `processVideo` (checks, ffprobe, the same
 * transcode, probe of the output, poster and preview), alternating which
 * goes first each round. The ffmpeg processes of each run are found by
 * their output directory in /proc and sampled every 250 ms (CPU, VmHWM).
 */

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

const USAGE = `usage: npm run bench -- media [flags]
  --images N          12-MP JPEGs per image variant (default 20)
  --concurrency C     images in flight per variant (default ${CORES}, one per core)
  --video-seconds S   length of the 1080p test video (default 60)
  --rounds R          rounds; each runs both image variants and both video variants once, alternating
                      which goes first (default 2: one of each order)
  --no-images         skip the image part
  --no-video          skip the video part
  --cache-dir DIR     where the generated inputs are kept (default .tmp/bench-media)
  --no-wait           do not wait for a load average below 1.2 before starting
Inputs are generated once with ffmpeg's lavfi sources and sharp; outputs go to a temp dir removed at the end.
npm run bench -- media pipeline [flags]: confirm→ready through a real Pairly instead (--help lists its flags).`;

export async function benchMedia(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      images: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: String(CORES) },
      'video-seconds': { type: 'string', default: '60' },
      rounds: { type: 'string', default: '2' },
      'no-images': { type: 'boolean', default: false },
      'no-video': { type: 'boolean', default: false },
      'cache-dir': { type: 'string', default: '.tmp/bench-media' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const images = numberFlag('images', v.images, 1, 10_000, USAGE);
  const concurrency = numberFlag('concurrency', v.concurrency, 1, 64, USAGE);
  const videoSeconds = numberFlag('video-seconds', v['video-seconds'], 1, 600, USAGE);
  const rounds = numberFlag('rounds', v.rounds, 1, 10, USAGE);
  const cacheDir = resolve(ROOT, v['cache-dir']);

  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  const work = join(tmpdir(), `pairly-media-bench-${randomUUID().slice(0, 8)}`);
  await mkdir(work, { recursive: true });
  cleanups.add(() => rm(work, { recursive: true, force: true }));

  let exitCode = 0;
  try {
    const photo = v['no-images'] ? undefined : await benchPhoto(cacheDir);
    const video = v['no-video'] ? undefined : await benchVideo(cacheDir, videoSeconds, log);
    const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
    log(
      `media bench: node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}; ` +
        `ffmpeg ${ffmpegVersion()}; inputs in ${cacheDir}, outputs in ${work}`,
    );

    const out: string[] = [];
    if (photo) {
      const p = (await stat(photo)).size;
      log(`images: ${photo} (4000×3000, ${(p / 1e6).toFixed(2)} MB), ${images} per variant and round, ${concurrency} in flight, ${rounds} round(s)`);
      const rows: ImageRow[] = [];
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 === 1 ? (['bare sharp', 'processImage'] as const) : (['processImage', 'bare sharp'] as const);
        for (const variant of order) {
          rows.push({ ...(await imageVariant({ variant, images, concurrency, input: photo, out: join(work, 'images'), printer, round })), round });
        }
      }
      out.push('', imageTable(rows), '', ...imageRatioLines(rows), '', imageNotes(rows));
    }
    if (video) {
      const rows = await videoRounds({ input: video, rounds, work: join(work, 'video'), printer, cleanups });
      const p = await ffprobeJson(video);
      const vs = p.streams.find((s) => s.codec_type === 'video');
      out.push(
        '',
        `Video input: ${video} (${vs?.width}×${vs?.height} ${vs?.codec_name}, ${Number(p.format.duration).toFixed(1)} s, ${((await stat(video)).size / 1e6).toFixed(1)} MB)`,
        '',
        videoTable(rows),
        '',
        ...videoRatioLines(rows),
        '',
        videoNotes(),
      );
      if (rows.some((r) => r.error)) exitCode = 1;
    }
    console.log(out.join('\n'));
  } catch (err) {
    log(`media bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    exitCode = 1;
  } finally {
    await cleanups.run();
  }
  return exitCode;
}

function ffmpegVersion(): string {
  try {
    return /ffmpeg version (\S+)/.exec(execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

async function imageVariant(o: {
  variant: ImageVariant;
  images: number;
  concurrency: number;
  input: string;
  out: string;
  printer: ProgressPrinter;
  round: number;
}): Promise<Omit<ImageRow, 'round'>> {
  const child = spawnTs(new URL('./image-worker.ts', import.meta.url), [
    '--variant', o.variant, '--images', String(o.images), '--concurrency', String(o.concurrency), '--input', o.input, '--out', o.out,
  ]);
  // The machine window and the rate start when the worker has warmed up (its 'start' message).
  let t0 = performance.now();
  let m0 = machineCpu();
  let load = load1();
  const result = await new Promise<ImageWorkerResult>((resolvePromise, reject) => {
    child.on('message', (m: FromImageWorker) => {
      if (m.type === 'start') {
        t0 = performance.now();
        m0 = machineCpu();
        load = load1();
      } else if (m.type === 'progress') {
        const s = (performance.now() - t0) / 1000;
        o.printer.status(`[images ${o.variant} #${o.round}] ${s.toFixed(1)}s  ${m.done}/${o.images} done  ${(m.done / s).toFixed(2)}/s  rss ${m.rssMb.toFixed(0)} MB`);
      } else {
        resolvePromise(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`image worker (${o.variant}) exited with ${code} before its result`)));
  });
  const m1 = machineCpu();
  o.printer.end();
  await reap(child, 5000);
  const machinePct = machineBusyPct(m0, m1);
  return { ...result, machinePct, load1: load };
}

interface Sampled {
  cpuUs: Map<number, number>;
  peakKb: number;
}

/** The processes (ffmpeg, ffprobe) whose command line names `needle`: CPU so far and high-water RSS. */
function sampleProcesses(needle: string, into: Sampled): number {
  let n = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (!cmd.includes(needle)) continue;
    n++;
    const st = procStat(pid);
    if (st) into.cpuUs.set(Number(pid), st.cpuUs);
    try {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) into.peakKb = Math.max(into.peakKb, Number(hwm[1]));
    } catch {
      // gone between the two reads
    }
  }
  return n;
}

async function videoRounds(o: { input: string; rounds: number; work: string; printer: ProgressPrinter; cleanups: Cleanups }): Promise<VideoRow[]> {
  const limits = { ...DEFAULT_VIDEO_LIMITS, maxVideoSeconds: 3600, timeoutMs: 60 * 60_000 };
  const probe = await probeVideo(o.input, 'mov', { limits, deadline: new Deadline(60_000) });
  const plan = planTranscode(probe, limits);
  const rows: VideoRow[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const order = round % 2 === 1 ? (['plain ffmpeg', 'processVideo'] as const) : (['processVideo', 'plain ffmpeg'] as const);
    for (const variant of order) {
      const dir = join(o.work, `${variant.replace(/\W+/g, '-')}-${round}`);
      await mkdir(dir, { recursive: true });
      const sampled: Sampled = { cpuUs: new Map(), peakKb: 0 };
      const label = `[video ${variant}${o.rounds > 1 ? ` #${round}` : ''}]`;
      const t0 = performance.now();
      let ticks = 0;
      // The sampler's own CPU (synchronous /proc reads) is taken out of node CPU below.
      let samplerMs = 0;
      const ticker = setInterval(() => {
        const s0 = process.cpuUsage();
        sampleProcesses(dir, sampled);
        const ds = process.cpuUsage(s0);
        samplerMs += (ds.user + ds.system) / 1000;
        // Sampled 4× a second, shown once a second.
        if (ticks++ % 4 !== 3) return;
        const cpuS = [...sampled.cpuUs.values()].reduce((a, b) => a + b, 0) / 1e6;
        o.printer.status(`${label} ${((performance.now() - t0) / 1000).toFixed(1)}s  ffmpeg CPU ${cpuS.toFixed(1)} s  ffmpeg peak RSS ${(sampled.peakKb / 1024).toFixed(0)} MB`);
      }, 250);
      const m0 = machineCpu();
      const c0 = process.cpuUsage();
      const load = load1();
      let outPath = join(dir, 'video.mp4');
      let error: string | undefined;
      try {
        if (variant === 'plain ffmpeg') {
          const args = ['-nostdin', '-hide_banner', '-v', 'error', '-i', o.input, ...videoEncodeArgs({ ...plan, maxSeconds: limits.maxVideoSeconds }), '-y', outPath];
          const r = await runTool('ffmpeg', args, { step: 'plain ffmpeg', timeoutMs: limits.timeoutMs });
          if (r.code !== 0) throw new Error(`ffmpeg exited ${r.code}: ${r.stderr.slice(-300)}`);
        } else {
          const r = await processVideo(o.input, dir, { timeoutMs: limits.timeoutMs, maxVideoSeconds: limits.maxVideoSeconds });
          outPath = r.video.path;
        }
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const wallS = (performance.now() - t0) / 1000;
      clearInterval(ticker);
      const c1 = process.cpuUsage(c0);
      const m1 = machineCpu();
      o.printer.end();
      const made = error ? undefined : await ffprobeJson(outPath);
      const mv = made?.streams.find((s) => s.codec_type === 'video');
      rows.push({
        variant,
        round,
        wallS,
        ffmpegCpuS: [...sampled.cpuUs.values()].reduce((a, b) => a + b, 0) / 1e6,
        nodeCpuS: Math.max(0, (c1.user + c1.system) / 1e6 - samplerMs / 1000),
        ffmpegPeakRssMb: sampled.peakKb / 1024,
        output: made ? `${mv?.width}×${mv?.height} ${made.streams.map((s) => s.codec_name).join('+')}, ${Number(made.format.duration).toFixed(1)} s` : '—',
        outputMb: made ? (await stat(outPath)).size / 1e6 : 0,
        machinePct: machineBusyPct(m0, m1),
        load1: load,
        ...(error ? { error } : {}),
      });
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
