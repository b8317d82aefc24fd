import { mkdir } from 'node:fs/promises';
import { sharp } from '../../../sharp.js';
import { inspect, sharpRejection, type DetectedType } from './detect.js';
import { MediaTimeout } from './errors.js';
import { OutputSet, type OutputFile } from './outputs.js';
import { DEFAULT_IMAGE_LIMITS, Deadline, resolveLimits, type ProcessOptions } from './limits.js';
import { abortReason } from './tools.js';

/** The WebP sizes made from every image: the long side, in pixels. */
export const IMAGE_SIZES = [160, 640, 1280] as const;
/** The blurred preview (locked content, placeholders): long side in pixels and blur sigma. */
export const PREVIEW_LONG_SIDE = 32;
export const PREVIEW_SIGMA = 1.2;
const WEBP_QUALITY = 82;
const PREVIEW_QUALITY = 40;

export interface ImageResult {
  kind: 'image';
  /** What the input was, from its bytes. */
  source: DetectedType & { bytes: number };
  /** The input's dimensions after auto-orientation (EXIF orientation 6 on a 4000×3000 JPEG gives 3000×4000). */
  width: number;
  height: number;
  /**
   * WebP sizes, ascending, each fitting a square of its `variant` size
   * (160, 640, 1280) and never larger than the input: targets at or above
   * the input's long side collapse into one variant at the input's own size
   * (a 500 px image has '160' and '640', the latter 500 px; no '1280').
   */
  variants: OutputFile[];
  /** Blurred WebP, at most PREVIEW_LONG_SIDE px (smaller inputs are not enlarged); a few hundred bytes. */
  preview: OutputFile;
  /** Every file written, for upload and for deletion. */
  files: OutputFile[];
}

/**
 * An image upload: checked (detect.ts), decoded once with sharp under
 * `maxPixels` (from the header, before decoding) and failOn 'error'
 * (truncated or broken pixel data aborts), auto-oriented from EXIF, then
 * written as WebP sizes and a blurred preview into `outDir` with no metadata
 * at all: EXIF (GPS, camera, orientation), XMP, IPTC and ICC profiles are
 * dropped (colours are converted to sRGB first). Animated GIF/WebP/APNG give
 * their first frame. On any failure nothing is left in `outDir`.
 *
 * Throws MediaRejected (the file's fault), MediaTimeout, or the signal's
 * abort reason.
 */
export async function processImage(inputPath: string, outDir: string, opts: ProcessOptions = {}): Promise<ImageResult> {
  const limits = resolveLimits(DEFAULT_IMAGE_LIMITS, opts);
  const deadline = new Deadline(limits.timeoutMs);
  const signal = opts.signal;
  const step = () => {
    if (signal?.aborted) throw abortReason(signal);
    if (deadline.expired()) throw new MediaTimeout('image', limits.timeoutMs);
  };
  // sharp's timeout is whole seconds; the deadline check between steps is the finer one.
  const seconds = () => Math.max(1, Math.ceil(deadline.remaining() / 1000));
  // Only the decode of the upload can fail because of the upload; later steps work on our own raw pixels.
  const run = async <T>(p: () => Promise<T>, decodesInput = false): Promise<T> => {
    step();
    try {
      return await p();
    } catch (err) {
      if (err instanceof Error && /^timeout:/i.test(err.message)) throw new MediaTimeout('image', limits.timeoutMs);
      throw decodesInput ? sharpRejection(err) : err;
    }
  };

  const info = await inspect(inputPath, 'image', { limits, deadline, ...(signal ? { signal } : {}) });
  const largest = Math.max(...IMAGE_SIZES);

  // One decode: the oriented image at most `largest` px, as raw 8-bit sRGB pixels; every output is made from it.
  const base = await run(() =>
    sharp(inputPath, { limitInputPixels: limits.maxPixels, failOn: 'error', autoOrient: true })
      .resize({ width: largest, height: largest, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw()
      .timeout({ seconds: seconds() })
      .toBuffer({ resolveWithObject: true }),
    true,
  );
  const { width: bw, height: bh, channels } = base.info;
  if (base.data.length !== bw * bh * channels) throw new Error(`sharp gave ${base.data.length} bytes of raw pixels for ${bw}×${bh}×${channels}`);
  const fromBase = () => sharp(base.data, { raw: { width: bw, height: bh, channels } });

  const oriented = info.image?.autoOrient ?? { width: info.image?.width ?? bw, height: info.image?.height ?? bh };
  const longSide = Math.max(oriented.width, oriented.height);

  await mkdir(outDir, { recursive: true });
  const out = new OutputSet(outDir);
  try {
    const variants: OutputFile[] = [];
    for (const size of IMAGE_SIZES) {
      const name = `${size}.webp`;
      const r = await run(() =>
        fromBase()
          .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
          .webp({ quality: WEBP_QUALITY })
          .timeout({ seconds: seconds() })
          .toFile(out.claim(name)),
      );
      variants.push(out.record({ variant: String(size), name, mime: 'image/webp', width: r.width, height: r.height, bytes: r.size }));
      if (size >= longSide) break;
    }
    const r = await run(() =>
      fromBase()
        .resize({ width: PREVIEW_LONG_SIDE, height: PREVIEW_LONG_SIDE, fit: 'inside', withoutEnlargement: true })
        .blur(PREVIEW_SIGMA)
        .webp({ quality: PREVIEW_QUALITY })
        .timeout({ seconds: seconds() })
        .toFile(out.claim('preview.webp')),
    );
    const preview = out.record({ variant: 'preview', name: 'preview.webp', mime: 'image/webp', width: r.width, height: r.height, bytes: r.size });
    step();
    return {
      kind: 'image',
      source: { mime: info.mime, ext: info.ext, kind: info.kind, bytes: info.bytes },
      width: oriented.width,
      height: oriented.height,
      variants,
      preview,
      files: out.files(),
    };
  } catch (err) {
    await out.discard();
    throw err;
  }
}
