import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Media fixtures made at test time (nothing binary is checked in): sharp
 * draws the images, ffmpeg's lavfi sources (testsrc2, sine) make the videos,
 * and the hostile files are built byte by byte from those.
 */

const run = promisify(execFile);

export interface TempDir {
  dir: string;
  path(name: string): string;
  remove(): void;
}

export function tempDir(prefix = 'pairly-media-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Gaussian noise (photos do not compress like flat colour), optionally with EXIF orientation and GPS. */
export async function noisyJpeg(
  path: string,
  o: { width: number; height: number; orientation?: number; gps?: boolean; quality?: number },
): Promise<void> {
  let img = sharp({ create: { width: o.width, height: o.height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({
    quality: o.quality ?? 85,
  });
  if (o.orientation) img = img.withMetadata({ orientation: o.orientation });
  if (o.gps) {
    img = img.withExif({
      IFD0: { Make: 'PairlyTestCam', Model: 'Fixture', ...(o.orientation ? { Orientation: String(o.orientation) } : {}) },
      // GPS IFD: the Eiffel Tower, as a phone would record it.
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 29/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 40/1' },
    });
  }
  await img.toFile(path);
}

/**
 * A left-to-right gradient in which the left quarter is red: after a
 * rotation the red band moves, so a test can tell orientation from pixels.
 */
export async function markedJpeg(path: string, o: { width: number; height: number; orientation: number }): Promise<void> {
  const base = sharp({ create: { width: o.width, height: o.height, channels: 3, background: '#2040ff' } });
  const band = await sharp({ create: { width: Math.round(o.width / 4), height: o.height, channels: 3, background: '#ff0000' } }).png().toBuffer();
  await base.composite([{ input: band, left: 0, top: 0 }]).jpeg().withMetadata({ orientation: o.orientation }).toFile(path);
}

export async function alphaPng(path: string, width: number, height: number): Promise<void> {
  await sharp({ create: { width, height, channels: 4, background: { r: 200, g: 30, b: 90, alpha: 0.5 } } }).png().toFile(path);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid little PNG whose header claims `width` × `height` (a decompression/pixel bomb's header). */
export async function pixelBombPng(path: string, width: number, height: number): Promise<void> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await writeFile(path, Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(4096))), pngChunk('IEND', Buffer.alloc(0))]));
}

/** A real JPEG with its frame header (SOF0) patched to claim `width` × `height`. */
export async function pixelBombJpeg(path: string, width: number, height: number): Promise<void> {
  const b = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).jpeg({ mozjpeg: false }).toBuffer();
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  if (sof < 0) throw new Error('no SOF0 in the fixture JPEG');
  b.writeUInt16BE(height, sof + 5);
  b.writeUInt16BE(width, sof + 7);
  await writeFile(path, b);
}

/** The first `fraction` of `src`, as an interrupted upload leaves it. */
export async function truncateTo(src: string, dst: string, fraction: number): Promise<void> {
  const b = await readFile(src);
  await writeFile(dst, b.subarray(0, Math.floor(b.length * fraction)));
}

export async function appendTo(src: string, dst: string, tail: Buffer): Promise<void> {
  await writeFile(dst, Buffer.concat([await readFile(src), tail]));
}

/** A minimal ZIP (stored, no compression) with the given files: what a JAR or GIFAR carries. */
export function zipOf(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const n = Buffer.from(name);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 });
}

export async function ffprobeJson(path: string): Promise<{
  format: { format_name: string; duration?: string; tags?: Record<string, string> };
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; tags?: Record<string, string>; side_data_list?: unknown[] }>;
}> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as never;
}

/**
 * A lavfi test video: testsrc2 (moving pattern) and, unless `audio: false`,
 * a sine tone. `faststart` puts moov first; without it ffmpeg writes moov
 * after mdat, as phones do. `metadata` adds container tags (e.g. location).
 */
export async function lavfiVideo(
  path: string,
  o: {
    seconds: number;
    width: number;
    height: number;
    rate?: number;
    audio?: boolean;
    faststart?: boolean;
    vcodec?: string[];
    acodec?: string[];
    metadata?: Record<string, string>;
    extra?: string[];
  },
): Promise<void> {
  const audio = o.audio ?? true;
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.rate ?? 25}`,
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
    '-t', String(o.seconds),
    ...(o.vcodec ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
    ...(audio ? (o.acodec ?? ['-c:a', 'aac']) : []),
    ...Object.entries(o.metadata ?? {}).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]),
    ...(o.faststart ? ['-movflags', '+faststart'] : []),
    ...(o.extra ?? []),
    path,
  ]);
}

/** An audio-only MP4 (brand isom, so file-type says video/mp4). */
export async function audioOnlyMp4(path: string, seconds: number): Promise<void> {
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=330', '-t', String(seconds), '-c:a', 'aac', path]);
}

/** The same video with a display rotation (as a phone held upright records it): a stream copy with rotate metadata. */
export async function rotated(src: string, dst: string, degrees: number): Promise<void> {
  await ffmpeg(['-i', src, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, dst]);
}

/** The top-level ISO-BMFF boxes of a file, in order (moov before mdat = faststart). */
export async function topLevelBoxes(path: string): Promise<string[]> {
  const b = await readFile(path);
  const out: string[] = [];
  let i = 0;
  while (i + 8 <= b.length) {
    let len = b.readUInt32BE(i);
    if (len === 1) len = Number(b.readBigUInt64BE(i + 8));
    else if (len === 0) len = b.length - i;
    out.push(b.toString('latin1', i + 4, i + 8));
    if (len < 8) break;
    i += len;
  }
  return out;
}

/**
 * Whether an EXIF block (sharp's metadata().exif: "Exif\0\0" + TIFF) has a
 * GPS IFD pointer (tag 0x8825) in IFD0: read as a TIFF, not searched as bytes.
 */
export function exifHasGps(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  const tiff = exif.subarray(exif.toString('latin1', 0, 4) === 'Exif' ? 6 : 0);
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd0 = u32(4);
  const n = u16(ifd0);
  for (let k = 0; k < n; k++) if (u16(ifd0 + 2 + k * 12) === 0x8825) return true;
  return false;
}
