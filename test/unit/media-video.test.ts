import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaRejected, MediaTimeout, processVideo, type MediaRejectReason } from '../../server/src/modules/media/processing/index.js';
import { runTool } from '../../server/src/modules/media/processing/tools.js';
import {
  appendTo,
  audioOnlyMp4,
  ffprobeJson,
  lavfiVideo,
  rotated,
  tempDir,
  topLevelBoxes,
  truncateTo,
  zipOf,
  type TempDir,
} from '../support/media-fixtures.js';

let t: TempDir;
const f = (name: string) => t.path(name);
let outN = 0;
const outDir = () => t.path(`out-${++outN}`);

async function rejected(input: string, opts = {}): Promise<{ reason: MediaRejectReason; detail: string | undefined; left: string[] }> {
  const dir = outDir();
  const err = await processVideo(input, dir, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaRejected);
  return { reason: (err as MediaRejected).reason, detail: (err as MediaRejected).detail, left: await readdir(dir).catch(() => []) };
}

/** PIDs of processes whose command line mentions `needle` (a killed ffmpeg must not be among them). */
async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    if (cmd.includes(needle)) pids.push(Number(pid));
  }
  return pids;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  t = tempDir();
  // As a phone writes it: moov after mdat, a location tag, a creation date.
  await lavfiVideo(f('hd.mp4'), {
    seconds: 3,
    width: 1920,
    height: 1080,
    metadata: { location: '+48.8577+002.2950/', creation_time: '2026-06-01T10:00:00Z', title: 'at home' },
  });
  await lavfiVideo(f('small.mp4'), { seconds: 3, width: 320, height: 240 });
  await rotated(f('small.mp4'), f('portrait.mp4'), 90);
  await lavfiVideo(f('mute.mp4'), { seconds: 2, width: 320, height: 240, audio: false });
  await lavfiVideo(f('clip.webm'), { seconds: 2, width: 320, height: 240, vcodec: ['-c:v', 'libvpx', '-deadline', 'realtime'], acodec: ['-c:a', 'libopus'] });
  // As a browser's MediaRecorder writes it: no duration, a Segment of unknown size.
  await lavfiVideo(f('live.webm'), { seconds: 3, width: 320, height: 240, audio: false, vcodec: ['-c:v', 'libvpx', '-deadline', 'realtime'], extra: ['-f', 'webm', '-live', '1'] });
  await lavfiVideo(f('faststart.mp4'), { seconds: 4, width: 320, height: 240, faststart: true });
  await audioOnlyMp4(f('audio.mp4'), 2);
  await truncateTo(f('small.mp4'), f('cut-moov-last.mp4'), 0.6);
  await truncateTo(f('faststart.mp4'), f('cut-faststart.mp4'), 0.6);
  await appendTo(f('small.mp4'), f('mp4-zip.mp4'), zipOf({ 'index.html': '<script>alert(1)</script>' }));
  // A faststart file cut in its media data whose mdat says "runs to the end of the file" (size 0), as some
  // streaming writers leave it: the structure holds, ffprobe reports 4 s, only decoding finds the hole.
  const cut = await readFile(f('faststart.mp4'));
  const boxes = await topLevelBoxes(f('faststart.mp4'));
  expect(boxes.at(-1)).toBe('mdat');
  let at = 0;
  for (const _ of boxes.slice(0, -1)) at += cut.readUInt32BE(at);
  const open = Buffer.from(cut.subarray(0, Math.floor(cut.length * 0.5)));
  open.writeUInt32BE(0, at);
  await writeFile(f('cut-open-mdat.mp4'), open);
}, 60_000);

afterAll(() => t?.remove());

describe('processVideo', () => {
  it('1080p with moov last and a location tag: H.264 + AAC MP4, 1280×720, moov before mdat, no metadata, poster and preview', async () => {
    const input = await ffprobeJson(f('hd.mp4'));
    expect(input.format.tags?.location).toBeDefined();
    const inBoxes = await topLevelBoxes(f('hd.mp4'));
    expect(inBoxes.indexOf('moov')).toBeGreaterThan(inBoxes.indexOf('mdat'));

    const r = await processVideo(f('hd.mp4'), outDir());
    expect([r.width, r.height]).toEqual([1280, 720]);
    expect(r.hasAudio).toBe(true);
    expect(r.durationS).toBeGreaterThan(2.9);
    expect(r.durationS).toBeLessThan(3.2);
    expect(r.input).toMatchObject({ width: 1920, height: 1080, videoCodec: 'h264', audioCodec: 'aac' });

    const out = await ffprobeJson(r.video.path);
    expect(out.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
    ]);
    expect(out.format.format_name).toContain('mp4');
    const boxes = await topLevelBoxes(r.video.path);
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const tags = { ...out.format.tags, ...Object.assign({}, ...out.streams.map((s) => s.tags ?? {})) } as Record<string, string>;
    for (const key of ['location', 'location-eng', 'creation_time', 'title']) expect(tags[key], key).toBeUndefined();

    const poster = await sharp(r.poster.path).metadata();
    expect([poster.format, poster.width, poster.height]).toEqual(['webp', 1280, 720]);
    const preview = await sharp(r.preview.path).metadata();
    expect([preview.format, preview.width, preview.height]).toEqual(['webp', 32, 18]);
    expect(r.files.map((x) => x.name).sort()).toEqual(['poster.webp', 'preview.webp', 'video.mp4']);
    expect((await readdir(r.video.path.replace(/\/video\.mp4$/, ''))).sort()).toEqual(['poster.webp', 'preview.webp', 'video.mp4']);
  }, 60_000);

  it('applies the display rotation: a 320×240 stream shown rotated 90° comes out 240×320, without the rotation flag', async () => {
    const input = await ffprobeJson(f('portrait.mp4'));
    expect(JSON.stringify(input.streams[0]!.side_data_list)).toContain('"rotation":');
    const r = await processVideo(f('portrait.mp4'), outDir());
    expect([r.width, r.height]).toEqual([240, 320]);
    const out = await ffprobeJson(r.video.path);
    expect([out.streams[0]!.width, out.streams[0]!.height]).toEqual([240, 320]);
    expect(JSON.stringify(out.streams[0]!.side_data_list ?? [])).not.toContain('rotation');
    expect([(await sharp(r.poster.path).metadata()).width, (await sharp(r.poster.path).metadata()).height]).toEqual([240, 320]);
  }, 60_000);

  it('never enlarges, and a video with no audio gets no audio stream', async () => {
    const r = await processVideo(f('mute.mp4'), outDir());
    expect([r.width, r.height]).toEqual([320, 240]);
    expect(r.hasAudio).toBe(false);
    expect((await ffprobeJson(r.video.path)).streams.map((s) => s.codec_type)).toEqual(['video']);
  }, 60_000);

  it('WebM (VP8 + Opus) becomes H.264 + AAC; a live WebM without a duration is decoded to find it', async () => {
    const a = await processVideo(f('clip.webm'), outDir());
    expect((await ffprobeJson(a.video.path)).streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    expect((await ffprobeJson(f('live.webm'))).format.duration).toBeUndefined();
    const b = await processVideo(f('live.webm'), outDir());
    expect(b.input.durationS).toBeUndefined();
    expect(b.durationS).toBeGreaterThan(2.9);
  }, 60_000);
});

describe('processVideo refuses', () => {
  it('a container with no video stream (audio only)', async () => {
    const r = await rejected(f('audio.mp4'));
    expect(r.reason).toBe('no_video_stream');
    expect(r.left).toEqual([]);
  });

  it('truncated MP4s: moov-last cut (no index), faststart cut (mdat past the end), and a cut the structure hides (decoded short)', async () => {
    expect((await rejected(f('cut-moov-last.mp4'))).reason).toBe('truncated');
    expect((await rejected(f('cut-faststart.mp4'))).reason).toBe('truncated');
    // ffprobe alone is fooled by this one:
    expect(Number((await ffprobeJson(f('cut-open-mdat.mp4'))).format.duration)).toBeGreaterThan(3.9);
    const r = await rejected(f('cut-open-mdat.mp4'));
    expect(r.reason).toBe('truncated');
    expect(r.detail).toMatch(/decoded/);
    expect(r.left).toEqual([]);
  }, 60_000);

  it('over maxVideoSeconds, from the container and, when it does not say, from decoding', async () => {
    expect((await rejected(f('small.mp4'), { maxVideoSeconds: 2 })).reason).toBe('too_long');
    const live = await rejected(f('live.webm'), { maxVideoSeconds: 1 });
    expect(live.reason).toBe('too_long');
    expect(live.detail).toMatch(/decoded/);
    expect(live.left).toEqual([]);
  }, 60_000);

  it('over maxBytes, over maxPixels per frame, a polyglot, an image', async () => {
    expect((await rejected(f('small.mp4'), { maxBytes: 10_000 })).reason).toBe('too_large');
    expect((await rejected(f('hd.mp4'), { maxPixels: 1920 * 1080 - 1 })).reason).toBe('pixel_limit');
    expect((await rejected(f('mp4-zip.mp4'))).reason).toBe('unsupported_type');
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toFile(f('pic.png'));
    expect((await rejected(f('pic.png'))).reason).toBe('unsupported_type');
  });
});

describe('child processes', () => {
  it('a tool that never ends is SIGKILLed at its timeout and is gone when the promise settles', async () => {
    let pid = 0;
    const err = await runTool('ffmpeg', ['-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=5', '-f', 'null', '-'], {
      step: 'endless ffmpeg',
      timeoutMs: 500,
      onSpawn: (p) => (pid = p),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaTimeout);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('processVideo past timeoutMs: MediaTimeout, its ffmpeg killed, nothing left in outDir', async () => {
    const dir = outDir();
    const err = await processVideo(f('hd.mp4'), dir, { timeoutMs: 800 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaTimeout);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
    expect(await processesMentioning(dir)).toEqual([]);
  }, 30_000);

  it('processVideo aborted mid-transcode: rejects with the reason, its ffmpeg killed, nothing left', async () => {
    const dir = outDir();
    const ac = new AbortController();
    const running = processVideo(f('hd.mp4'), dir, { signal: ac.signal });
    // Abort once ffmpeg is writing the output.
    for (let i = 0; i < 200 && (await processesMentioning(`${dir}/video.mp4`)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const pids = await processesMentioning(`${dir}/video.mp4`);
    expect(pids.length).toBe(1);
    expect(await readlink(`/proc/${pids[0]}/exe`)).toMatch(/ffmpeg$/);
    ac.abort(new Error('upload deleted'));
    await expect(running).rejects.toThrow('upload deleted');
    expect(alive(pids[0]!)).toBe(false);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  }, 30_000);
});
