import { MediaRejected, MediaTimeout } from './errors.js';
import type { Deadline, MediaLimits } from './limits.js';
import { runTool, ToolOutputTooLarge } from './tools.js';

export const FFPROBE = 'ffprobe';
export const FFMPEG = 'ffmpeg';

export interface ProbeStream {
  index: number;
  codecType: string;
  codecName: string | undefined;
  width: number | undefined;
  height: number | undefined;
  durationS: number | undefined;
  /** A cover picture stored as a video stream (audio files with artwork). */
  attachedPic: boolean;
  /** Display rotation in degrees (phones store portrait video as rotated landscape). */
  rotation: number;
  /** Pixel aspect ratio (1 for square pixels). */
  sar: number;
  /** Audio channels. */
  channels: number | undefined;
}

export interface Probe {
  formatName: string;
  /** Undefined when the container does not say (live WebM from a browser's MediaRecorder). */
  durationS: number | undefined;
  streams: ProbeStream[];
}

/**
 * Input options every ffmpeg/ffprobe run on an upload gets. The demuxer is
 * forced to the one file-type's answer names, so the bytes cannot pick
 * another (an HLS playlist or concat script disguised as a video would make
 * ffmpeg open other files or URLs), and only the file protocol is allowed.
 * The path goes in as `file:` so a name with a colon is not a protocol.
 */
export function inputArgs(path: string, demuxer: string): string[] {
  return ['-protocol_whitelist', 'file', '-f', demuxer, '-i', `file:${path}`];
}

const MAX_STREAMS = 16;

interface RawProbe {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{
    index?: number;
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    duration?: string;
    sample_aspect_ratio?: string;
    channels?: number;
    disposition?: { attached_pic?: number };
    side_data_list?: Array<{ rotation?: number }>;
  }>;
}

const num = (v: string | undefined): number | undefined => {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

function ratio(v: string | undefined): number {
  const m = /^(\d+):(\d+)$/.exec(v ?? '');
  if (!m) return 1;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > 0 && b > 0 ? a / b : 1;
}

export function parseProbe(json: string): Probe {
  let raw: RawProbe;
  try {
    raw = JSON.parse(json) as RawProbe;
  } catch {
    throw new MediaRejected('corrupt', 'ffprobe printed no JSON');
  }
  const streams = (raw.streams ?? []).map(
    (s): ProbeStream => ({
      index: s.index ?? -1,
      codecType: s.codec_type ?? 'unknown',
      codecName: s.codec_name,
      width: s.width,
      height: s.height,
      durationS: num(s.duration),
      attachedPic: s.disposition?.attached_pic === 1,
      rotation: s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? 0,
      sar: ratio(s.sample_aspect_ratio),
      channels: s.channels,
    }),
  );
  return { formatName: raw.format?.format_name ?? '', durationS: num(raw.format?.duration), streams };
}

/** ffprobe with the demuxer forced (rule 2 of detect.ts for videos): containers, streams, duration. */
export async function probeVideo(
  path: string,
  demuxer: string,
  ctx: { deadline: Deadline; limits: MediaLimits; signal?: AbortSignal },
): Promise<Probe> {
  if (ctx.deadline.expired()) throw new MediaTimeout('ffprobe', ctx.deadline.timeoutMs);
  const args = [
    '-v', 'error',
    ...inputArgs(path, demuxer),
    '-print_format', 'json',
    '-show_entries',
    'format=format_name,duration:stream=index,codec_type,codec_name,width,height,duration,sample_aspect_ratio,channels:stream_disposition=attached_pic:stream_side_data=rotation',
  ];
  let r;
  try {
    r = await runTool(FFPROBE, args, { step: 'ffprobe', timeoutMs: ctx.deadline.remaining(), maxStdoutBytes: 1024 * 1024, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } catch (err) {
    if (err instanceof ToolOutputTooLarge) throw new MediaRejected('corrupt', 'ffprobe output past its limit');
    if (err instanceof MediaTimeout) throw new MediaTimeout('ffprobe', ctx.deadline.timeoutMs);
    throw err;
  }
  if (r.code !== 0) throw ffmpegRejection('ffprobe', r.stderr);
  const probe = parseProbe(r.stdout.toString('utf8'));
  if (probe.streams.length > MAX_STREAMS) throw new MediaRejected('corrupt', `${probe.streams.length} streams`);
  return probe;
}

/** ffmpeg/ffprobe's complaint about an input as a rejection. */
export function ffmpegRejection(tool: string, stderr: string): Error {
  const last = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
  // The machine's fault, not the file's: the job should retry.
  if (/No space left on device|Cannot allocate memory|Permission denied|Too many open files/i.test(stderr)) return new Error(`${tool}: ${last}`);
  if (/moov atom not found|partial file|end of file|truncat/i.test(stderr)) return new MediaRejected('truncated', `${tool}: ${last}`);
  return new MediaRejected('corrupt', `${tool}: ${last || 'failed without a message'}`);
}
