import { readdir, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaRejected, processImage, type ImageResult, type MediaRejectReason } from '../../server/src/modules/media/processing/index.js';
import {
  alphaPng,
  lavfiVideo,
  markedJpeg,
  noisyJpeg,
  exifHasGps,
  pixelBombJpeg,
  pixelBombPng,
  tempDir,
  truncateTo,
  type TempDir,
} from '../support/media-fixtures.js';

let t: TempDir;
const f = (name: string) => t.path(name);
let outN = 0;
const outDir = () => t.path(`out-${++outN}`);

async function rejected(input: string, opts = {}): Promise<{ reason: MediaRejectReason; outDir: string; left: string[] }> {
  const dir = outDir();
  const err = await processImage(input, dir, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaRejected);
  return { reason: (err as MediaRejected).reason, outDir: dir, left: await readdir(dir).catch(() => []) };
}

const sizes = (r: ImageResult) => r.variants.map((v) => [v.variant, v.width, v.height]);

beforeAll(async () => {
  t = tempDir();
  await noisyJpeg(f('gps-rot6.jpg'), { width: 1200, height: 800, orientation: 6, gps: true });
  await noisyJpeg(f('big.jpg'), { width: 4000, height: 3000 });
  await markedJpeg(f('marked-rot6.jpg'), { width: 400, height: 200, orientation: 6 });
  await alphaPng(f('small.png'), 500, 300);
  await alphaPng(f('tiny.png'), 100, 50);
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#369' } }).png().toColourspace('rgb16').toFile(f('deep.png'));
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c33' } }).jpeg().toColourspace('cmyk').toFile(f('cmyk.jpg'));
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#396' } }).avif().toFile(f('pic.avif'));
  await sharp({ create: { width: 300, height: 200, channels: 4, background: '#3969' } }).webp().toFile(f('pic.webp'));
  await lavfiVideo(f('anim.gif'), { seconds: 0.5, width: 320, height: 240, rate: 10, audio: false, vcodec: [] });
  await lavfiVideo(f('clip.mp4'), { seconds: 1, width: 160, height: 120 });
  await pixelBombPng(f('bomb.png'), 100_000, 100_000);
  await pixelBombJpeg(f('bomb.jpg'), 30_000, 30_000);
  await truncateTo(f('gps-rot6.jpg'), f('cut.jpg'), 0.6);
  await truncateTo(f('small.png'), f('cut.png'), 0.6);
  await writeFile(f('empty.jpg'), Buffer.alloc(0));
  await writeFile(f('evil.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script></svg>');
}, 60_000);

afterAll(() => t?.remove());

describe('processImage', () => {
  it('strips every piece of metadata: EXIF GPS in the input, none in any output', async () => {
    const input = await sharp(f('gps-rot6.jpg')).metadata();
    expect(exifHasGps(input.exif)).toBe(true);
    expect(input.orientation).toBe(6);

    const r = await processImage(f('gps-rot6.jpg'), outDir());
    expect(r.files).toHaveLength(r.variants.length + 1);
    for (const file of r.files) {
      const m = await sharp(file.path).metadata();
      expect(m.format, file.name).toBe('webp');
      expect(m.exif, file.name).toBeUndefined();
      expect(m.xmp, file.name).toBeUndefined();
      expect(m.iptc, file.name).toBeUndefined();
      expect(m.icc, file.name).toBeUndefined();
      expect(m.orientation, file.name).toBeUndefined();
      expect([m.width, m.height], file.name).toEqual([file.width, file.height]);
    }
  });

  it('auto-orients: EXIF orientation 6 on 1200×800 gives 800×1200 outputs', async () => {
    const r = await processImage(f('gps-rot6.jpg'), outDir());
    expect([r.width, r.height]).toEqual([800, 1200]);
    // 1280 ≥ the long side (1200): that size is the image's own, never enlarged.
    expect(sizes(r)).toEqual([
      ['160', 107, 160],
      ['640', 427, 640],
      ['1280', 800, 1200],
    ]);
    expect([r.preview.width, r.preview.height]).toEqual([21, 32]);
  });

  it('auto-orients the pixels, not just the dimensions: the stored left edge ends up on top', async () => {
    const r = await processImage(f('marked-rot6.jpg'), outDir());
    expect([r.width, r.height]).toEqual([200, 400]);
    const out = r.variants.at(-1)!;
    const { data, info } = await sharp(out.path).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const [top, bottom] = [px(100, 10), px(100, 390)];
    expect(top[0]).toBeGreaterThan(200); // red band
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200); // blue
    expect(bottom[0]).toBeLessThan(60);
  });

  it('12 MP: 1280/640/160 and a preview of a few hundred bytes', async () => {
    const r = await processImage(f('big.jpg'), outDir());
    expect([r.width, r.height]).toEqual([4000, 3000]);
    expect(sizes(r)).toEqual([
      ['160', 160, 120],
      ['640', 640, 480],
      ['1280', 1280, 960],
    ]);
    expect([r.preview.width, r.preview.height]).toEqual([32, 24]);
    expect(r.preview.bytes).toBeLessThan(2048);
    expect(r.source).toMatchObject({ mime: 'image/jpeg', kind: 'image' });
  });

  it('never enlarges: 500×300 gives 160 and 500×300 (no 1280); 100×50 gives one 100×50 size', async () => {
    const a = await processImage(f('small.png'), outDir());
    expect(sizes(a)).toEqual([
      ['160', 160, 96],
      ['640', 500, 300],
    ]);
    const b = await processImage(f('tiny.png'), outDir());
    expect(sizes(b)).toEqual([['160', 100, 50]]);
    expect([b.preview.width, b.preview.height]).toEqual([32, 16]);
    expect(b.files.map((x) => x.name).sort()).toEqual(['160.webp', 'preview.webp']);
  });

  it('keeps transparency from a PNG with alpha', async () => {
    const r = await processImage(f('small.png'), outDir());
    expect((await sharp(r.variants[0]!.path).metadata()).hasAlpha).toBe(true);
  });

  it.each([
    ['anim.gif', 'image/gif', 320, 240],
    ['pic.avif', 'image/avif', 300, 200],
    ['pic.webp', 'image/webp', 300, 200],
    ['deep.png', 'image/png', 300, 200],
    ['cmyk.jpg', 'image/jpeg', 300, 200],
  ])('%s (%s) becomes 8-bit sRGB WebP', async (name, mime, w, h) => {
    const r = await processImage(f(name), outDir());
    expect(r.source.mime).toBe(mime);
    expect([r.width, r.height]).toEqual([w, h]);
    for (const file of r.files) {
      const m = await sharp(file.path).metadata();
      expect([m.format, m.space, m.depth], file.name).toEqual(['webp', 'srgb', 'uchar']);
    }
  });

  it('an animated GIF gives its first frame as a still WebP', async () => {
    expect((await sharp(f('anim.gif')).metadata()).pages).toBeGreaterThan(1);
    const r = await processImage(f('anim.gif'), outDir());
    expect((await sharp(r.variants.at(-1)!.path).metadata()).pages ?? 1).toBe(1);
  });
});

describe('processImage refuses', () => {
  it('pixel bombs by their header, before decoding: a PNG claiming 100000×100000, a JPEG claiming 30000×30000', async () => {
    for (const name of ['bomb.png', 'bomb.jpg']) {
      const r = await rejected(f(name));
      expect(r.reason, name).toBe('pixel_limit');
      expect(r.left, name).toEqual([]);
    }
  });

  it('more pixels than maxPixels says', async () => {
    expect((await rejected(f('gps-rot6.jpg'), { maxPixels: 500_000 })).reason).toBe('pixel_limit');
  });

  it('truncated JPEG and PNG', async () => {
    expect((await rejected(f('cut.jpg'))).reason).toBe('truncated');
    expect((await rejected(f('cut.png'))).reason).toBe('truncated');
  });

  it('zero bytes, SVG, a video, over maxBytes', async () => {
    expect((await rejected(f('empty.jpg'))).reason).toBe('empty');
    expect((await rejected(f('evil.svg'))).reason).toBe('unsupported_type');
    expect((await rejected(f('clip.mp4'))).reason).toBe('unsupported_type');
    expect((await rejected(f('big.jpg'), { maxBytes: 100_000 })).reason).toBe('too_large');
  });

  it('leaves what the caller already had in outDir alone and adds nothing on a rejection', async () => {
    const dir = outDir();
    await processImage(f('tiny.png'), dir);
    const before = (await readdir(dir)).sort();
    await expect(processImage(f('cut.jpg'), dir)).rejects.toBeInstanceOf(MediaRejected);
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('an aborted signal stops it before it writes anything', async () => {
    const ac = new AbortController();
    ac.abort(new Error('job cancelled'));
    const dir = outDir();
    await expect(processImage(f('big.jpg'), dir, { signal: ac.signal })).rejects.toThrow('job cancelled');
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });
});
