import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KIND_TYPES, isVideoType, type MediaKind, type RejectReason } from '../../../../shared/media.js';
import type { MediaConfig } from '../../config.js';
import type { JobContext } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { MediaService } from './media.service.js';
import type { MediaRow, MediaStore, StoredVariant } from './media.store.js';
import { originalKey, variantKey } from './media.views.js';
import { moderate } from './moderation.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import { MediaRejected, sniffType, processImage, processVideo, type OutputFile } from './processing/index.js';

const EXT: Record<string, string> = { 'image/webp': 'webp', 'video/mp4': 'mp4' };

/** Videos only where the kind takes them (post media, message attachments); any image or video type processing accepts. */
const takesVideo = (kind: MediaKind) => KIND_TYPES[kind].some(isVideoType);

/** A variant's name in views: `w160`, `w640`, `w1280` for image sizes (processing names them by the number), else its own. */
const variantName = (f: OutputFile) => (/^\d+$/.test(f.variant) ? `w${f.variant}` : f.variant);

/** Why an item was refused, from a MediaRejected or from our own checks. */
class Refused extends Error {
  constructor(readonly reason: RejectReason) {
    super(reason);
  }
}

/**
 * The `media.process` job: one confirmed upload, checked and turned into what
 * is served. Idempotent on the media id: it runs only while the item is
 * pending, writes variants under deterministic keys (a second run overwrites
 * them), and the final state change is conditional, so two runs (a retry
 * racing a re-queue) end in one state.
 *
 *   original ──download──► temp dir ──sniffType──► processImage | processVideo ──► variants uploaded
 *            ──► moderate() ──► ready | ready, quarantined (owner only) | rejected(moderation) ──► media:updated to the owner
 *   refused by a check ──► rejected(reason), every object removed ──► media:updated
 */
export async function processMedia(
  d: { store: MediaStore; media: MediaService; config: MediaConfig; logger: Logger; moderation: Pick<ModerationService, 'image'> },
  mediaId: string,
  ctx: JobContext,
): Promise<void> {
  const m = await d.store.get(mediaId);
  if (!m || m.state !== 'pending') return;
  const storage = d.media.storage();
  const dir = await mkdtemp(join(tmpdir(), 'pairly-media-'));
  try {
    const outcome = await transform(d, m, dir).catch((err: unknown) => {
      if (err instanceof MediaRejected) return new Refused(err.reason);
      if (err instanceof Refused) return err;
      throw err;
    });
    if (outcome instanceof Refused) return await refuse(d, m, outcome.reason);
    const verdict = await moderate({ moderation: d.moderation, read: (key) => readAll(storage, key) }, m, outcome);
    const done = await d.store.finishProcessing(m.id, { ...outcome, moderation: verdict });
    if (done) return await d.media.push(done);
    // Deleted while it was processed: what this run stored after the delete's own removal goes too.
    const now = await d.store.get(m.id);
    if (now?.state === 'deleted') await d.media.purge(now);
  } catch (err) {
    // Its attempts are used up: tell the owner rather than leave it pending (the job is dead-lettered as well).
    if (ctx.attempt >= ctx.maxAttempts) {
      d.logger.error({ err, mediaId }, 'media processing failed for good');
      await refuse(d, m, 'processing_failed').catch(() => undefined);
    }
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  async function refuse(deps: typeof d, row: MediaRow, reason: RejectReason) {
    const rejected = await deps.store.reject(row.id, reason, 'pending');
    if (!rejected) return;
    await deps.media.purge(rejected);
    await deps.media.push(rejected);
  }

  async function transform(deps: typeof d, row: MediaRow, work: string) {
    const { limits, processTimeoutSeconds } = deps.config;
    const input = join(work, 'original');
    const source = await storage.get(originalKey(row));
    if (!source) throw new Refused('empty');
    await pipeline(source, createWriteStream(input));
    const size = (await stat(input)).size;
    if (size === 0) throw new Refused('empty');
    // The object was re-sent after the confirm (its upload URL still lived): the declared size still binds it.
    if (size > row.declared_bytes) throw new Refused('too_large');

    // The type from the bytes, never the declared one: the head chooses the pipeline, which inspects the whole
    // file once (refusing polyglots, and saying why: truncated, pixel_limit, …) before it decodes anything.
    const type = await sniffType(input);
    if (type.kind === 'video' && !takesVideo(row.kind)) throw new Refused('unsupported_type');
    const out = join(work, 'out');
    await mkdir(out);
    const timeoutMs = processTimeoutSeconds * 1000;
    const result =
      type.kind === 'image'
        ? await processImage(input, out, { maxBytes: limits.imageMaxBytes, maxPixels: limits.imageMaxPixels, timeoutMs })
        : await processVideo(input, out, { maxBytes: limits.videoMaxBytes, maxPixels: limits.imageMaxPixels, maxVideoSeconds: limits.videoMaxSeconds, timeoutMs });

    const variants: Record<string, StoredVariant> = {};
    for (const f of result.files) {
      const name = variantName(f);
      const key = variantKey(row, name, EXT[f.mime] ?? 'bin');
      await storage.put(key, { file: f.path }, f.mime);
      variants[name] = { key, mime: f.mime, width: f.width, height: f.height, bytes: f.bytes };
    }
    return {
      detectedMime: type.mime,
      width: result.width,
      height: result.height,
      durationMs: result.kind === 'video' ? Math.round(result.durationS * 1000) : null,
      variants,
    };
  }
}

/** A stored variant's bytes (a few hundred KB at most: the moderated picture is a 640 px WebP). */
async function readAll(storage: ReturnType<MediaService['storage']>, key: string): Promise<Buffer | undefined> {
  const stream = await storage.get(key);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
