import { mkdir, open, stat } from 'node:fs/promises';
import { sharp } from '../../../sharp.js';
import { inspect, type DetectedType } from './detect.js';
import { MediaRejected, MediaTimeout } from './errors.js';
import { DEFAULT_VIDEO_LIMITS, Deadline, resolveLimits, type MediaLimits, type ProcessOptions } from './limits.js';
import { OutputSet, type OutputFile } from './outputs.js';
import { FFMPEG, ffmpegRejection, inputArgs, probeVideo, type Probe, type ProbeStream } from './probe.js';
import { isoBoxes, readerOf } from './structure.js';
import { PREVIEW_LONG_SIDE, PREVIEW_SIGMA } from './image.js';
import { abortReason, runTool } from './tools.js';

/**
 * The one set of encoder settings (the bench's bare-ffmpeg baseline uses the
 * same, through videoEncodeArgs). H.264 High, CRF 23 capped at 4 Mb/s, the
 * `veryfast` preset (about 2× faster than `medium` for ~10% more bytes at the
 * same quality: uploads are processed while the user waits), at most 60 fps;
 * AAC 128 kb/s, at most stereo.
 */
export const VIDEO_ENCODING = Object.freeze({
  preset: 'veryfast',
  crf: 23,
  maxrate: '4M',
  bufsize: '8M',
  fpsMax: 60,
  audioBitrate: '128k',
});

/** Durations within this of the limit pass: containers round a last frame up. */
const DURATION_GRACE_S = 0.25;
const POSTER_QUALITY = 80;

export interface VideoResult {
  kind: 'video';
  source: DetectedType & { bytes: number };
  /** The output's: H.264 in MP4 with its long side at most maxVideoLongSide, rotation applied. */
  width: number;
  height: number;
  durationS: number;
  hasAudio: boolean;
  /** What ffprobe saw in the input (codec names, display size after rotation, duration when the container said). */
  input: { width: number; height: number; durationS: number | undefined; videoCodec: string | undefined; audioCodec: string | undefined };
  /** video.mp4: moov before mdat (faststart), no metadata (ffmpeg's -map_metadata -1: no location, no dates, no device). */
  video: OutputFile;
  /** poster.webp: a frame at 1 s (at 0 s for clips under 2 s), at the output's size. */
  poster: OutputFile;
  /** preview.webp: the poster, blurred, at most 32 px (locked content). */
  preview: OutputFile;
  files: OutputFile[];
}

/** The display size of a stream fitted into `longSide` (never enlarged), even on both sides as yuv420p needs. */
export function outputSize(s: Pick<ProbeStream, 'width' | 'height' | 'sar' | 'rotation'>, longSide: number): { width: number; height: number } {
  let w = (s.width ?? 0) * s.sar;
  let h = s.height ?? 0;
  if (Math.abs(s.rotation) % 180 === 90) [w, h] = [h, w];
  const k = Math.min(1, longSide / Math.max(w, h));
  const even = (x: number) => Math.max(2, Math.round((x * k) / 2) * 2);
  return { width: even(w), height: even(h) };
}

/**
 * Output options for one transcode: which streams, the scale, the codecs,
 * no metadata, faststart. ffmpeg applies the input's rotation before the
 * filters (autorotate), so `size` is the displayed size.
 */
export function videoEncodeArgs(p: {
  videoIndex: number;
  audio?: { index: number; channels: number | undefined };
  size: { width: number; height: number };
  maxSeconds: number;
  threads?: number;
}): string[] {
  const e = VIDEO_ENCODING;
  return [
    '-map', `0:${p.videoIndex}`,
    ...(p.audio
      ? ['-map', `0:${p.audio.index}`, '-c:a', 'aac', '-b:a', e.audioBitrate, ...((p.audio.channels ?? 2) > 2 ? ['-ac', '2'] : [])]
      : ['-an']),
    '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1',
    // Past the limit by a second is enough to tell "too long" when the container did not say.
    '-t', String(p.maxSeconds + 1),
    '-vf', `scale=${p.size.width}:${p.size.height},setsar=1`,
    '-c:v', 'libx264', '-preset', e.preset, '-crf', String(e.crf), '-maxrate', e.maxrate, '-bufsize', e.bufsize,
    '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-fpsmax', String(e.fpsMax),
    ...(p.threads ? ['-threads', String(p.threads)] : []),
    '-movflags', '+faststart',
    '-f', 'mp4',
  ];
}

/**
 * A video upload: checked (detect.ts: type, structure, polyglots), probed
 * (ffprobe with the demuxer forced), refused when it has no video stream,
 * is over `maxPixels` per frame or `maxVideoSeconds`, then transcoded by
 * ffmpeg to H.264/AAC MP4 (faststart, long side ≤ maxVideoLongSide, no
 * metadata) with a poster frame and a blurred preview. The transcode is the
 * decode check: an output much shorter than the input says the input is
 * truncated (a faststart MP4 cut in its media data still probes with its
 * full duration). Every child process runs under the one deadline and is
 * SIGKILLed on timeout or abort; on any failure nothing is left in outDir.
 *
 * Throws MediaRejected (the file's fault), MediaTimeout, or the signal's
 * abort reason.
 */
export async function processVideo(inputPath: string, outDir: string, opts: ProcessOptions = {}): Promise<VideoResult> {
  const limits = resolveLimits(DEFAULT_VIDEO_LIMITS, opts);
  const deadline = new Deadline(limits.timeoutMs);
  const ctx = { limits, deadline, ...(opts.signal ? { signal: opts.signal } : {}) };

  const info = await inspect(inputPath, 'video', ctx);
  if (!info.probe) throw new Error('inspect() gave a video without its probe');
  const plan = planTranscode(info.probe, limits);

  await mkdir(outDir, { recursive: true });
  const out = new OutputSet(outDir);
  try {
    const videoPath = out.claim('video.mp4');
    const args = [
      '-nostdin', '-hide_banner', '-v', 'error',
      ...inputArgs(inputPath, info.accepted.decoder),
      ...videoEncodeArgs({ ...plan, maxSeconds: limits.maxVideoSeconds, ...(opts.threads ? { threads: opts.threads } : {}) }),
      '-y', videoPath,
    ];
    const r = await runTool(FFMPEG, args, { step: 'ffmpeg transcode', timeoutMs: deadline.remaining(), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    if (r.code !== 0) throw ffmpegRejection('ffmpeg', r.stderr);

    const made = await probeVideo(videoPath, 'mov', ctx);
    const v = made.streams.find((s) => s.codecType === 'video');
    const durationS = made.durationS ?? v?.durationS;
    if (!v || v.codecName !== 'h264' || !v.width || !v.height || durationS === undefined) {
      // Nothing decodable came out: the input's frames are broken.
      throw new MediaRejected('corrupt', `no video in the output${r.stderr ? `: ${r.stderr.trim().split('\n').pop()}` : ''}`);
    }
    if (durationS > limits.maxVideoSeconds + DURATION_GRACE_S) throw new MediaRejected('too_long', `over ${limits.maxVideoSeconds} s (decoded)`);
    if (plan.inputDurationS !== undefined && durationS < plan.inputDurationS * 0.9 - 0.5) {
      throw new MediaRejected('truncated', `decoded ${durationS.toFixed(2)} s of ${plan.inputDurationS.toFixed(2)} s${r.stderr ? `: ${r.stderr.trim().split('\n').pop()}` : ''}`);
    }
    await assertFaststart(videoPath);
    const hasAudio = made.streams.some((s) => s.codecType === 'audio');
    const video = out.record({ variant: 'video', name: 'video.mp4', mime: 'video/mp4', width: v.width, height: v.height, bytes: (await stat(videoPath)).size });

    const frame = await posterFrame(videoPath, durationS, ctx);
    const poster = await sharp(frame).webp({ quality: POSTER_QUALITY }).toFile(out.claim('poster.webp'));
    const preview = await sharp(frame)
      .resize({ width: PREVIEW_LONG_SIDE, height: PREVIEW_LONG_SIDE, fit: 'inside', withoutEnlargement: true })
      .blur(PREVIEW_SIGMA)
      .webp({ quality: 40 })
      .toFile(out.claim('preview.webp'));
    if (ctx.signal?.aborted) throw abortReason(ctx.signal);
    if (deadline.expired()) throw new MediaTimeout('video', limits.timeoutMs);
    return {
      kind: 'video',
      source: { mime: info.mime, ext: info.ext, kind: info.kind, bytes: info.bytes },
      width: v.width,
      height: v.height,
      durationS,
      hasAudio,
      input: plan.input,
      video,
      poster: out.record({ variant: 'poster', name: 'poster.webp', mime: 'image/webp', width: poster.width, height: poster.height, bytes: poster.size }),
      preview: out.record({ variant: 'preview', name: 'preview.webp', mime: 'image/webp', width: preview.width, height: preview.height, bytes: preview.size }),
      files: out.files(),
    };
  } catch (err) {
    await out.discard();
    throw err;
  }
}

interface TranscodePlan {
  videoIndex: number;
  audio?: { index: number; channels: number | undefined };
  size: { width: number; height: number };
  inputDurationS: number | undefined;
  input: VideoResult['input'];
}

/** The limits that need only the probe, and what to transcode. */
export function planTranscode(probe: Probe, limits: MediaLimits): TranscodePlan {
  const video = probe.streams.find((s) => s.codecType === 'video' && !s.attachedPic);
  if (!video) throw new MediaRejected('no_video_stream', probe.streams.length ? `streams: ${probe.streams.map((s) => s.codecType).join(', ')}` : 'no streams');
  if (!video.width || !video.height) throw new MediaRejected('corrupt', 'the video stream has no dimensions');
  if (video.width * video.height > limits.maxPixels) {
    throw new MediaRejected('pixel_limit', `${video.width}×${video.height} frames, limit ${limits.maxPixels} pixels`);
  }
  const inputDurationS = probe.durationS ?? video.durationS;
  if (inputDurationS !== undefined && inputDurationS > limits.maxVideoSeconds + DURATION_GRACE_S) {
    throw new MediaRejected('too_long', `${inputDurationS.toFixed(2)} s, limit ${limits.maxVideoSeconds} s`);
  }
  const audio = probe.streams.find((s) => s.codecType === 'audio');
  const quarter = Math.abs(video.rotation) % 180 === 90;
  const display = { width: quarter ? video.height : video.width, height: quarter ? video.width : video.height };
  return {
    videoIndex: video.index,
    ...(audio ? { audio: { index: audio.index, channels: audio.channels } } : {}),
    size: outputSize(video, limits.maxVideoLongSide),
    inputDurationS,
    input: { width: display.width, height: display.height, durationS: inputDurationS, videoCodec: video.codecName, audioCodec: audio?.codecName },
  };
}

/** Our own output must have its index first (players start before the whole file is there). */
async function assertFaststart(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const walk = await isoBoxes(readerOf(fh), (await fh.stat()).size);
    const order = walk.boxes;
    if (!walk.ok || order.indexOf('moov') < 0 || order.indexOf('moov') > order.indexOf('mdat')) {
      throw new Error(`ffmpeg wrote ${order.join(', ')}: moov is not before mdat`);
    }
  } finally {
    await fh.close();
  }
}

/** One PNG frame of our own output at 1 s (0 s for short clips, or when 1 s gives nothing). */
async function posterFrame(path: string, durationS: number, ctx: { deadline: Deadline; signal?: AbortSignal }): Promise<Buffer> {
  for (const at of durationS >= 2 ? [1, 0] : [0]) {
    const r = await runTool(
      FFMPEG,
      ['-nostdin', '-hide_banner', '-v', 'error', '-ss', String(at), ...inputArgs(path, 'mov'), '-frames:v', '1', '-an', '-f', 'image2pipe', '-c:v', 'png', 'pipe:1'],
      { step: 'ffmpeg poster', timeoutMs: ctx.deadline.remaining(), maxStdoutBytes: 64 * 1024 * 1024, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    if (r.code === 0 && r.stdout.length > 0) return r.stdout;
  }
  throw new MediaRejected('corrupt', 'no frame for a poster');
}
