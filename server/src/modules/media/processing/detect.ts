import { open, readFile, stat } from 'node:fs/promises';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { Metadata } from 'sharp';
import { sharp } from '../../../sharp.js';
import { MediaRejected } from './errors.js';
import { DEFAULT_IMAGE_LIMITS, DEFAULT_VIDEO_LIMITS, Deadline, resolveLimits, type MediaLimits, type ProcessOptions } from './limits.js';
import { probeVideo, type Probe } from './probe.js';
import { bufferReader, ebmlEnd, gifEnd, isoBoxes, jpegEnd, pngEnd, readerOf, riffEnd, type ReadAt, type Walk } from './structure.js';

/**
 * What a file really is, from its bytes, and the rule for refusing
 * polyglots (files that are two things at once: a JPEG that is also a ZIP,
 * a GIF that is also a Java archive, an image with HTML after it).
 *
 * A file is accepted as type T only when all of these hold:
 *
 * 1. file-type, reading the start of the file, says T, and T is in ACCEPTED
 *    (the extension and the declared type are never looked at).
 * 2. The decoder we would use for T reads it as T: sharp's loader reports
 *    the same format (for videos: ffprobe, with T's demuxer forced, parses it).
 * 3. T's own structure, walked from its headers (structure.ts), ends inside
 *    the file. What follows that end may be padding (0x00, 0xFF,
 *    whitespace), after a JPEG further complete JPEG images (the
 *    multi-picture previews cameras append), and at most 64 KiB of opaque
 *    bytes (vendor trailers such as Samsung's SEFH/SEFT block). It is refused
 *    when file-type recognises anything in it (a ZIP, a PDF, a video: so a
 *    "motion photo", a JPEG with an MP4 after it, is refused and the client
 *    must send the still), when it holds markup, ZIP headers or a PDF
 *    header, or when it is longer than 64 KiB.
 * 4. No ZIP end-of-central-directory record in the last 64 KiB (ZIP readers
 *    find an archive from the end, whatever precedes it: GIFAR, JAR, APK),
 *    no PDF trailer in the last 1 KiB, and no markup (HTML, script, SVG,
 *    PHP) or PDF header in the first 4 KiB, where browsers and PDF readers
 *    look for them.
 *
 * Outputs are always re-encoded, so nothing of the original reaches a
 * viewer; the rule keeps the original itself from being served as something
 * else should it ever be kept.
 */
export type MediaKind = 'image' | 'video';

export interface DetectedType {
  /** As file-type names it, e.g. image/jpeg, video/quicktime. */
  mime: string;
  ext: string;
  kind: MediaKind;
}

type Walker = 'jpeg' | 'png' | 'gif' | 'riff' | 'iso' | 'ebml';

interface Accepted {
  kind: MediaKind;
  walker: Walker;
  /** sharp's `metadata().format` (and HEIF compression) for images; the ffmpeg demuxer forced for videos. */
  decoder: string;
  compression?: 'av1' | 'hevc';
}

/**
 * Images sharp decodes (GIF, APNG and animated WebP: the first frame; HEIC
 * only where sharp's libvips has an HEVC decoder, which its prebuilt binaries
 * do not: there it is refused as unsupported_type). SVG is never accepted
 * (it carries scripts and external references), nor TIFF, BMP, PDF.
 * Videos: the MP4/QuickTime family and Matroska/WebM (what phones and
 * browsers' MediaRecorder produce).
 */
export const ACCEPTED: Readonly<Record<string, Accepted>> = Object.freeze({
  'image/jpeg': { kind: 'image', walker: 'jpeg', decoder: 'jpeg' },
  'image/png': { kind: 'image', walker: 'png', decoder: 'png' },
  'image/apng': { kind: 'image', walker: 'png', decoder: 'png' },
  'image/gif': { kind: 'image', walker: 'gif', decoder: 'gif' },
  'image/webp': { kind: 'image', walker: 'riff', decoder: 'webp' },
  'image/avif': { kind: 'image', walker: 'iso', decoder: 'heif', compression: 'av1' },
  'image/heic': { kind: 'image', walker: 'iso', decoder: 'heif', compression: 'hevc' },
  'image/heif': { kind: 'image', walker: 'iso', decoder: 'heif', compression: 'hevc' },
  'video/mp4': { kind: 'video', walker: 'iso', decoder: 'mov' },
  'video/quicktime': { kind: 'video', walker: 'iso', decoder: 'mov' },
  'video/x-m4v': { kind: 'video', walker: 'iso', decoder: 'mov' },
  'video/3gpp': { kind: 'video', walker: 'iso', decoder: 'mov' },
  'video/3gpp2': { kind: 'video', walker: 'iso', decoder: 'mov' },
  'video/webm': { kind: 'video', walker: 'ebml', decoder: 'matroska' },
  'video/matroska': { kind: 'video', walker: 'ebml', decoder: 'matroska' },
  'video/x-matroska': { kind: 'video', walker: 'ebml', decoder: 'matroska' },
});

/** What inspect() learnt on the way, so that processing does not read it again. */
export interface Inspection extends DetectedType {
  bytes: number;
  accepted: Accepted;
  /** Images: sharp's header metadata (the pixel limit already checked). */
  image?: Metadata;
  /** Videos: ffprobe's streams and duration. */
  probe?: Probe;
}

export interface InspectContext {
  limits: MediaLimits;
  deadline: Deadline;
  signal?: AbortSignal;
}

const HEAD_BYTES = 4096;
const ZIP_TAIL_BYTES = 65_535 + 22;
const PDF_TAIL_BYTES = 1024;
/** Bytes after the end that are neither padding nor a known format pass up to this size (vendor trailers). */
export const MAX_OPAQUE_TRAILER = 64 * 1024;

const MARKUP = /<(?:script|html|body|iframe|svg|object|embed|\?php)[\s>/]|<!doctype\s+html|%PDF-/i;
const ZIP_EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
/** Local file header, central directory entry, end of central directory. */
const ZIP_HEADERS = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x01, 0x02]), ZIP_EOCD];

/**
 * detectType(path): the type from the bytes, or null when the file is empty,
 * not a regular file, not an accepted type, a polyglot, or not decodable as
 * what it claims. Use classify() for the reason.
 */
export async function detectType(path: string, opts: ProcessOptions = {}): Promise<DetectedType | null> {
  try {
    return await classify(path, opts);
  } catch (err) {
    if (err instanceof MediaRejected) return null;
    throw err;
  }
}

/**
 * As detectType, but throws MediaRejected with the reason (empty,
 * unsupported_type, too_large, pixel_limit, truncated, corrupt) instead of
 * returning null. Limits default by the detected kind (DEFAULT_IMAGE_LIMITS
 * or DEFAULT_VIDEO_LIMITS) unless given.
 */
export async function classify(path: string, opts: ProcessOptions = {}): Promise<DetectedType & { bytes: number }> {
  const sniffed = await sniff(path);
  const limits = resolveLimits(sniffed.accepted.kind === 'image' ? DEFAULT_IMAGE_LIMITS : DEFAULT_VIDEO_LIMITS, opts);
  const i = await inspectSniffed(path, sniffed, { limits, deadline: new Deadline(limits.timeoutMs), ...(opts.signal ? { signal: opts.signal } : {}) });
  return { mime: i.mime, ext: i.ext, kind: i.kind, bytes: i.bytes };
}

/**
 * Everything classify() checks, for processImage / processVideo: a file of
 * the other kind is refused (unsupported_type) before more than its head is read.
 */
export async function inspect(path: string, kind: MediaKind, ctx: InspectContext): Promise<Inspection> {
  const sniffed = await sniff(path);
  if (sniffed.kind !== kind) throw new MediaRejected('unsupported_type', `${sniffed.mime} is not ${kind === 'image' ? 'an image' : 'a video'}`);
  return inspectSniffed(path, sniffed, ctx);
}

/**
 * The type from the file's head only (regular, not empty, an accepted type): enough to choose processImage or
 * processVideo, which then inspect the whole file once. Throws MediaRejected (empty, unsupported_type).
 */
export async function sniffType(path: string): Promise<DetectedType & { bytes: number }> {
  const { mime, ext, kind, bytes } = await sniff(path);
  return { mime, ext, kind, bytes };
}

interface Sniffed extends DetectedType {
  bytes: number;
  accepted: Accepted;
}

async function sniff(path: string): Promise<Sniffed> {
  const st = await stat(path);
  // A FIFO or device would block or never end; only plain files are media.
  if (!st.isFile()) throw new MediaRejected('unsupported_type', 'not a regular file');
  if (st.size === 0) throw new MediaRejected('empty');
  const ft = await fileTypeFromFile(path);
  const accepted = ft ? ACCEPTED[ft.mime] : undefined;
  if (!ft || !accepted) throw new MediaRejected('unsupported_type', ft ? `${ft.mime} is not accepted` : 'no known type in the bytes');
  return { mime: ft.mime, ext: ft.ext, kind: accepted.kind, bytes: st.size, accepted };
}

async function inspectSniffed(path: string, s: Sniffed, ctx: InspectContext): Promise<Inspection> {
  if (s.bytes > ctx.limits.maxBytes) throw new MediaRejected('too_large', `${s.bytes} bytes, limit ${ctx.limits.maxBytes}`);
  const base: Inspection = { mime: s.mime, ext: s.ext, kind: s.kind, bytes: s.bytes, accepted: s.accepted };
  if (s.kind === 'image') {
    // Bounded by maxBytes: images are read whole (the JPEG walk scans every byte).
    const buf = await readFile(path);
    await checkEnvelope(bufferReader(buf), buf.length);
    await checkStructure(s, bufferReader(buf), buf.length, buf);
    return { ...base, image: await imageHeader(path, s.accepted, ctx.limits) };
  }
  const fh = await open(path, 'r');
  try {
    const read = readerOf(fh);
    await checkEnvelope(read, s.bytes);
    await checkStructure(s, read, s.bytes);
  } finally {
    await fh.close();
  }
  const probe = await probeVideo(path, s.accepted.decoder, ctx);
  return { ...base, probe };
}

/** Rule 4: what other formats' readers look for at the start and the end of a file. */
async function checkEnvelope(read: ReadAt, size: number): Promise<void> {
  const head = await read(0, Math.min(HEAD_BYTES, size));
  const m = MARKUP.exec(head.toString('latin1'));
  if (m) throw new MediaRejected('unsupported_type', `polyglot: "${m[0]}" in the first ${HEAD_BYTES} bytes`);
  const tailStart = Math.max(0, size - ZIP_TAIL_BYTES);
  const tail = await read(tailStart, size - tailStart);
  for (let at = tail.lastIndexOf(ZIP_EOCD); at >= 0; at = at > 0 ? tail.lastIndexOf(ZIP_EOCD, at - 1) : -1) {
    // A real end-of-central-directory record: its comment runs exactly to the end of the file.
    if (at + 22 <= tail.length && tail.readUInt16LE(at + 20) === tail.length - at - 22) {
      throw new MediaRejected('unsupported_type', `polyglot: a ZIP archive ends at the end of the file (record at ${tailStart + at})`);
    }
  }
  const pdfTail = tail.subarray(Math.max(0, tail.length - PDF_TAIL_BYTES)).toString('latin1');
  if (pdfTail.includes('%%EOF') || pdfTail.includes('startxref')) throw new MediaRejected('unsupported_type', 'polyglot: a PDF trailer at the end of the file');
}

/** Rule 3: the format's own end, and what follows it. */
async function checkStructure(s: Sniffed, read: ReadAt, size: number, whole?: Buffer): Promise<void> {
  let walk: Walk;
  switch (s.accepted.walker) {
    case 'jpeg':
      walk = jpegEnd(whole!);
      break;
    case 'png':
      walk = pngEnd(whole!);
      break;
    case 'gif':
      walk = gifEnd(whole!);
      break;
    case 'riff':
      walk = riffEnd(whole!);
      break;
    case 'ebml':
      walk = await ebmlEnd(read, size);
      break;
    case 'iso': {
      const boxes = await isoBoxes(read, size);
      walk = boxes;
      if (boxes.ok && s.kind === 'video' && !boxes.boxes.includes('moov')) {
        // The index (moov) is written last unless faststart: a recording cut short has none.
        throw boxes.boxes.includes('mdat')
          ? new MediaRejected('truncated', 'no moov box: the file was cut before its index')
          : new MediaRejected('corrupt', `no moov box among ${boxes.boxes.join(', ') || 'no boxes'}`);
      }
      break;
    }
  }
  if (!walk.ok) throw new MediaRejected(walk.why, walk.detail);
  if (walk.end < size) await checkTrailer(s, read, walk.end, size, whole);
}

const isPadding = (c: number) => c === 0x00 || c === 0xff || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

async function checkTrailer(s: Sniffed, read: ReadAt, end: number, size: number, whole?: Buffer): Promise<void> {
  let i = end;
  for (;;) {
    if (whole) {
      // 0xFF is padding, except where it starts another JPEG (FF D8).
      while (i < size && isPadding(whole[i]!) && !(whole[i] === 0xff && whole[i + 1] === 0xd8)) i++;
    } else {
      const rest = await read(i, Math.min(size - i, MAX_OPAQUE_TRAILER + 1));
      let k = 0;
      while (k < rest.length && isPadding(rest[k]!)) k++;
      i += k;
    }
    if (i >= size) return;
    // Multi-picture JPEGs: further complete JPEG images after the first.
    if (s.accepted.walker === 'jpeg' && whole && whole[i] === 0xff && whole[i + 1] === 0xd8) {
      const next = jpegEnd(whole, i);
      if (next.ok) {
        i = next.end;
        continue;
      }
    }
    break;
  }
  const refuse = (why: string): never => {
    throw new MediaRejected('unsupported_type', `polyglot: ${size - end} bytes after the end of the ${s.mime} data at ${end}: ${why}`);
  };
  // Read where the trailer starts (a box size begins with zero bytes) and where its data does.
  const what = (await fileTypeFromBuffer(await read(end, Math.min(4100, size - end)))) ?? (await fileTypeFromBuffer(await read(i, Math.min(4100, size - i))));
  if (what) refuse(what.mime);
  if (size - i > MAX_OPAQUE_TRAILER) refuse(`more than ${MAX_OPAQUE_TRAILER} bytes`);
  const rest = await read(i, size - i);
  const text = rest.toString('latin1');
  const markup = MARKUP.exec(text);
  if (markup) refuse(`"${markup[0]}"`);
  if (ZIP_HEADERS.some((h) => rest.includes(h))) refuse('ZIP headers');
  if (text.includes('%PDF')) refuse('a PDF');
  // Small, opaque and nothing known: a vendor block (Samsung's SEFH/SEFT trailer and the like). Tolerated.
}

/** Rule 2 for images, and the pixel limit from the header (before any pixel is decoded). */
async function imageHeader(path: string, a: Accepted, limits: MediaLimits): Promise<Metadata> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: limits.maxPixels, failOn: 'error' }).metadata();
  } catch (err) {
    throw sharpRejection(err);
  }
  if (meta.format !== a.decoder || (a.compression && meta.compression !== a.compression)) {
    throw new MediaRejected('unsupported_type', `the bytes say ${a.decoder}${a.compression ? `/${a.compression}` : ''}, the decoder read ${meta.format}`);
  }
  if (!meta.width || !meta.height) throw new MediaRejected('corrupt', 'no dimensions');
  if (meta.width * meta.height > limits.maxPixels) {
    throw new MediaRejected('pixel_limit', `${meta.width}×${meta.height}, limit ${limits.maxPixels} pixels`);
  }
  return meta;
}

/** sharp/libvips errors as rejections (their messages are the only signal libvips gives). */
export function sharpRejection(err: unknown): Error {
  if (!(err instanceof Error)) return new MediaRejected('corrupt', String(err));
  const msg = err.message;
  if (/exceeds pixel limit/i.test(msg)) return new MediaRejected('pixel_limit', msg);
  if (/unsupported image format|unsupported (?:compression|codec)|no decoder|not in a known format/i.test(msg)) return new MediaRejected('unsupported_type', msg);
  if (/premature end|truncated|unexpected end|end of (?:file|stream)|read error/i.test(msg)) return new MediaRejected('truncated', msg);
  return new MediaRejected('corrupt', msg);
}
