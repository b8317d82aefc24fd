import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { CreateUploadResult, MediaView, MultipartTarget, UploadTarget } from '../../shared/media.js';
import { http, waitFor } from './client.js';
import { tempDir } from './pairly.js';

/** Media fixtures, generated at test time (no binary files in the repository), and the client's side of an upload. */

/** A JPEG photo carrying EXIF with a GPS position, as phones write them. */
export function jpegWithGps(width = 1600, height = 1200): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg({ quality: 80 })
    .withExif({ IFD0: { Make: 'PairlyPhone', Model: 'Test' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 300/100' } })
    .toBuffer();
}

/** A PNG of noise, incompressible: `megabytes` of it (for uploads in parts). */
export function noisePng(side: number): Promise<Buffer> {
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

/** A JPEG with a ZIP archive's end record appended: opens as a picture and as an archive (a polyglot). */
export async function jpegZipPolyglot(): Promise<Buffer> {
  const zipEnd = Buffer.concat([Buffer.from('PK\u0005\u0006'), Buffer.alloc(18)]);
  return Buffer.concat([await jpegWithGps(64, 64), Buffer.from('PK\u0003\u0004<script>alert(1)</script>'), zipEnd]);
}

export const htmlBytes = () => Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

/** The first half of a JPEG. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await jpegWithGps(640, 480);
  return full.subarray(0, Math.floor(full.length / 2));
}

/** A small PNG whose header claims 100000 × 100000 pixels (a pixel bomb): the IHDR rewritten, its CRC recomputed. */
export async function pixelBombPng(): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer());
  // Signature (8), then IHDR: length (4), type (4), width (4), height (4), …, CRC over type and data.
  png.writeUInt32BE(100_000, 16);
  png.writeUInt32BE(100_000, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** An MP4 container with a tone and no video at all. */
export function audioOnlyMp4(): Promise<Buffer> {
  return ffmpegOutput(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'mp4']);
}

/** The first half of an MP4. */
export async function truncatedMp4(): Promise<Buffer> {
  const full = await smallMp4(1);
  return full.subarray(0, Math.floor(full.length / 2));
}

async function ffmpegOutput(args: string[]): Promise<Buffer> {
  const dir = tempDir('media-fixture');
  try {
    const out = join(dir.path, 'out.mp4');
    await promisify(execFile)('ffmpeg', ['-v', 'error', ...args, out]);
    return await readFile(out);
  } finally {
    dir.remove();
  }
}

/** A short MP4 (H.264 test pattern and a tone) made by ffmpeg. */
export function smallMp4(seconds = 1): Promise<Buffer> {
  return ffmpegOutput([
    '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=15:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
  ]);
}

/** Sends the bytes as the target says: a PUT with its headers, or a form POST with its fields first and the file last. */
export async function sendUpload(base: string, target: UploadTarget, bytes: Buffer): Promise<Response> {
  const url = new URL(target.url, base);
  if (target.method === 'PUT') return fetch(url, { method: 'PUT', headers: target.headers, body: bytes });
  const form = new FormData();
  for (const [k, v] of Object.entries(target.fields ?? {})) form.append(k, v);
  form.append('file', new Blob([bytes], { type: target.fields?.['Content-Type'] ?? 'application/octet-stream' }), 'upload');
  return fetch(url, { method: 'POST', body: form });
}

/** PUTs one part; its ETag (the header, as S3 answers it). */
export async function sendPart(base: string, url: string, bytes: Buffer): Promise<string> {
  const res = await fetch(new URL(url, base), { method: 'PUT', body: bytes });
  if (!res.ok) throw new Error(`part upload failed: ${res.status} ${await res.text()}`);
  const etag = res.headers.get('etag');
  if (!etag) throw new Error('no ETag on the part');
  return etag;
}

export async function createUpload(base: string, token: string, body: { kind: string; contentType: string; size: number; filename?: string }) {
  // Loosely typed: tests read `upload`, `multipart` or `error` as the case may be.
  return http<any>(base, 'POST', '/api/media/uploads', { token, body });
}

/** Create, send and confirm a single-request upload; the confirm's answer. */
export async function uploadAndConfirm(base: string, token: string, kind: string, contentType: string, bytes: Buffer, filename?: string) {
  const created = await http<CreateUploadResult>(base, 'POST', '/api/media/uploads', { token, body: { kind, contentType, size: bytes.length, filename } });
  if (created.status !== 201 || !('upload' in created.body)) throw new Error(`upload refused: ${created.status} ${JSON.stringify(created.body)}`);
  const sent = await sendUpload(base, created.body.upload, bytes);
  if (!sent.ok) throw new Error(`sending failed: ${sent.status} ${await sent.text()}`);
  const confirmed = await http<{ media: MediaView; replayed: boolean }>(base, 'POST', `/api/media/${created.body.media.id}/confirm`, { token, body: {} });
  return { id: created.body.media.id, created: created.body, confirmed };
}

/** Waits until processing has decided; the owner's view. */
export async function processed(base: string, token: string, id: string): Promise<MediaView> {
  return waitFor(
    async () => {
      const res = await http<{ media: MediaView }>(base, 'GET', `/api/media/${id}`, { token });
      return res.status === 200 && !['uploading', 'pending'].includes(res.body.media.state) ? res.body.media : undefined;
    },
    60_000,
    `media ${id} processed`,
  );
}

export type { MultipartTarget };
