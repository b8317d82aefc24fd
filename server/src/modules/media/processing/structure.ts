import type { FileHandle } from 'node:fs/promises';

/**
 * Where each accepted format's own structure ends, walked from its headers
 * without decoding a pixel. Two uses:
 *
 * - truncation: a segment, chunk or box that claims to run past the end of
 *   the file means the upload was cut short (a decoder may not notice: a
 *   faststart MP4 cut in its mdat still probes with its full duration);
 * - polyglots: whatever follows the end is something else riding along (a
 *   ZIP, HTML, a PDF, a video), see detect.ts for what is allowed there.
 *
 * Every walker returns the end offset, or the reason it could not find one.
 */
export type Walk = { ok: true; end: number } | { ok: false; why: 'truncated' | 'corrupt'; detail: string };

const truncated = (detail: string): Walk => ({ ok: false, why: 'truncated', detail });
const corrupt = (detail: string): Walk => ({ ok: false, why: 'corrupt', detail });

/**
 * JPEG: marker segments up to the end-of-image marker. Entropy-coded data
 * after each start-of-scan is skipped by looking for the next marker (0xFF
 * not followed by 0x00, a restart marker or fill). Segments are skipped by
 * their length, so an EXIF thumbnail's own EOI inside APP1 does not count.
 */
export function jpegEnd(b: Buffer, start = 0): Walk {
  if (b[start] !== 0xff || b[start + 1] !== 0xd8) return corrupt('no JPEG start-of-image marker');
  let i = start + 2;
  for (;;) {
    // libjpeg tolerates stray bytes before a marker (a warning); so do we.
    const ff = b.indexOf(0xff, i);
    if (ff < 0) return truncated(`no end-of-image marker (ends at ${b.length})`);
    i = ff;
    while (b[i] === 0xff) i++;
    if (i >= b.length) return truncated('file ends inside a marker');
    const m = b[i++]!;
    if (m === 0xd9) return { ok: true, end: i };
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue;
    if (m === 0xd8 || m === 0x00) return corrupt(`unexpected marker 0x${m.toString(16)} at ${i - 1}`);
    if (i + 2 > b.length) return truncated(`segment 0x${m.toString(16)} header cut at ${i}`);
    const len = b.readUInt16BE(i);
    if (len < 2) return corrupt(`segment 0x${m.toString(16)} with length ${len} at ${i}`);
    if (i + len > b.length) return truncated(`segment 0x${m.toString(16)} at ${i - 2} runs past the end`);
    i += len;
    if (m === 0xda) {
      // Entropy-coded data: runs to the next real marker.
      for (;;) {
        const j = b.indexOf(0xff, i);
        if (j < 0 || j + 1 >= b.length) return truncated('scan data runs to the end of the file');
        const next = b[j + 1]!;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
          i = j + 2;
          continue;
        }
        if (next === 0xff) {
          i = j + 1;
          continue;
        }
        i = j;
        break;
      }
    }
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isAsciiLetters = (b: Buffer, at: number, n: number) => {
  for (let k = at; k < at + n; k++) {
    const c = b[k]!;
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return false;
  }
  return true;
};

/** PNG (and APNG): length-prefixed chunks up to and including IEND. */
export function pngEnd(b: Buffer): Walk {
  if (b.length < 8 || !b.subarray(0, 8).equals(PNG_SIGNATURE)) return corrupt('no PNG signature');
  let i = 8;
  for (;;) {
    if (i + 8 > b.length) return truncated(`chunk header cut at ${i}`);
    const len = b.readUInt32BE(i);
    if (len > 0x7fffffff) return corrupt(`chunk length ${len} at ${i}`);
    if (!isAsciiLetters(b, i + 4, 4)) return corrupt(`chunk with a non-letter type at ${i}`);
    const type = b.toString('latin1', i + 4, i + 8);
    const end = i + 12 + len;
    if (end > b.length) return truncated(`chunk ${type} at ${i} runs past the end`);
    i = end;
    if (type === 'IEND') return { ok: true, end };
  }
}

/** GIF: header, colour table, then image, extension blocks up to the 0x3B trailer. */
export function gifEnd(b: Buffer): Walk {
  const sig = b.toString('latin1', 0, 6);
  if (sig !== 'GIF87a' && sig !== 'GIF89a') return corrupt('no GIF signature');
  if (b.length < 13) return truncated('logical screen descriptor cut');
  let i = 13;
  const packed = b[10]!;
  if (packed & 0x80) i += 3 * (1 << ((packed & 7) + 1));
  const subBlocks = (): boolean => {
    for (;;) {
      if (i >= b.length) return false;
      const n = b[i++]!;
      if (n === 0) return true;
      i += n;
    }
  };
  for (;;) {
    if (i >= b.length) return truncated(`no trailer (ends at ${b.length})`);
    const intro = b[i++]!;
    if (intro === 0x3b) return { ok: true, end: i };
    if (intro === 0x21) {
      i += 1; // label
      if (!subBlocks()) return truncated('extension block cut');
    } else if (intro === 0x2c) {
      if (i + 9 > b.length) return truncated('image descriptor cut');
      const p = b[i + 8]!;
      i += 9;
      if (p & 0x80) i += 3 * (1 << ((p & 7) + 1));
      i += 1; // LZW minimum code size
      if (!subBlocks()) return truncated('image data cut');
    } else {
      return corrupt(`unknown GIF block 0x${intro.toString(16)} at ${i - 1}`);
    }
  }
}

/** RIFF (WebP): the size in the header covers the whole file. */
export function riffEnd(b: Buffer): Walk {
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF') return corrupt('no RIFF header');
  const size = b.readUInt32LE(4);
  const end = 8 + size + (size & 1);
  if (end > b.length) return truncated(`RIFF claims ${end} bytes, file has ${b.length}`);
  return { ok: true, end };
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

export function readerOf(fh: FileHandle): ReadAt {
  return async (offset, length) => {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  };
}

export const bufferReader =
  (b: Buffer): ReadAt =>
  async (offset, length) =>
    b.subarray(offset, offset + length);

const printable4cc = (b: Buffer, at: number) => {
  for (let k = at; k < at + 4; k++) if (b[k]! < 0x20 || b[k]! > 0x7e) return false;
  return true;
};

/**
 * ISO base media (MP4, MOV, 3GP, AVIF, HEIC): the top-level boxes, in order.
 * A box that claims to run past the end of the file is truncation; a header
 * that is not a box (a non-printable type, a size under 8) ends the walk
 * there, and what follows is trailing data for the caller to judge.
 */
export async function isoBoxes(read: ReadAt, size: number): Promise<{ ok: true; end: number; boxes: string[] } | { ok: false; why: 'truncated' | 'corrupt'; detail: string; boxes: string[] }> {
  const boxes: string[] = [];
  let i = 0;
  // A hostile file can hold millions of tiny boxes; real ones have a handful at the top level.
  while (i < size && boxes.length < 10_000) {
    const h = await read(i, 16);
    if (h.length < 8 || !printable4cc(h, 4)) break;
    let len = h.readUInt32BE(0);
    let header = 8;
    if (len === 1) {
      if (h.length < 16) return { ok: false, why: 'truncated', detail: `box header cut at ${i}`, boxes };
      const big = h.readBigUInt64BE(8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, why: 'corrupt', detail: `box size ${big} at ${i}`, boxes };
      len = Number(big);
      header = 16;
    } else if (len === 0) {
      len = size - i; // "to the end of the file": only meaningful for the last box
    }
    if (len < header) break;
    const type = h.toString('latin1', 4, 8);
    boxes.push(type);
    if (i + len > size) return { ok: false, why: 'truncated', detail: `box ${type} at ${i} claims ${len} bytes, ${size - i} left`, boxes };
    i += len;
  }
  return { ok: true, end: i, boxes };
}

/** An EBML variable-length integer at `at`: its length in bytes and value (unknown = all value bits set). */
function vint(b: Buffer, at: number, keepMarker: boolean): { len: number; value: number; unknown: boolean } | undefined {
  const first = b[at];
  if (first === undefined || first === 0) return undefined;
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || at + len > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = (first & (0xff >> len)) === 0xff >> len;
  for (let k = 1; k < len; k++) {
    value = value * 256 + b[at + k]!;
    if (b[at + k] !== 0xff) allOnes = false;
  }
  return { len, value, unknown: !keepMarker && allOnes };
}

const EBML_TOP = new Set([0x1a45dfa3 /* EBML header */, 0x18538067 /* Segment */, 0xec /* Void */, 0xbf /* CRC-32 */]);

/**
 * Matroska / WebM: top-level EBML elements (the EBML header, then the
 * Segment). A Segment of unknown size (live recordings, e.g. the browser's
 * MediaRecorder) runs to the end of the file, so nothing can follow it and
 * truncation inside it is left to the decoder.
 */
export async function ebmlEnd(read: ReadAt, size: number): Promise<Walk> {
  let i = 0;
  let elements = 0;
  while (i < size && elements < 1000) {
    const h = await read(i, 12);
    const id = vint(h, 0, true);
    if (!id || !EBML_TOP.has(id.value)) break;
    const sz = vint(h, id.len, false);
    if (!sz) return truncated(`element header cut at ${i}`);
    if (sz.unknown) return { ok: true, end: size };
    const end = i + id.len + sz.len + sz.value;
    if (end > size) return truncated(`element 0x${id.value.toString(16)} at ${i} claims to end at ${end}, file has ${size}`);
    elements++;
    i = end;
  }
  if (elements === 0) return corrupt('no EBML header');
  return { ok: true, end: i };
}
