import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { MediaStore, type StoredVariant } from '../../modules/media/media.store.js';
import { newPrefix, originalKey, variantKey } from '../../modules/media/media.views.js';
import { processImage } from '../../modules/media/processing/index.js';
import type { MediaStorage } from '../../modules/media/storage.js';
import { SeedStore } from './seed.store.js';
import { SEED_EMAIL_DOMAIN, type SeedProgress } from './seed.js';

/**
 * Pictures for seeded posts, so the web client has something to show: for the latest `perCreator` posts of
 * each creator that have no media yet, a small PNG (a two-colour gradient from the post's id, with a line of
 * its text) made with sharp and stored the way an upload is: a media row (post_media) under a fresh prefix,
 * the original put in the configured media storage, then the media module's own processImage for the
 * variants (160/640/1280 WebP and the blurred preview a locked post shows), stored there too, and the row
 * made ready and approved. A re-run skips posts that have a picture. Without media storage (cluster mode
 * without MEDIA_STORAGE) nothing is written.
 */
export async function seedImages(
  db: Database,
  o: { perCreator: number; storage: MediaStorage | undefined; config: Config },
  progress: SeedProgress,
): Promise<{ media: number; skipped: string | null }> {
  if (o.perCreator === 0) return { media: 0, skipped: null };
  if (!o.storage) return { media: 0, skipped: 'no media storage (set MEDIA_STORAGE, or run embedded)' };
  const seeds = new SeedStore(db);
  const media = new MediaStore(db);
  const posts = await seeds.postsWithoutMedia(o.perCreator, SEED_EMAIL_DOMAIN);
  const work = await mkdtemp(join(tmpdir(), 'pairly-seed-images-'));
  try {
    let made = 0;
    for (const post of posts) {
      const dir = join(work, String(made));
      await mkdir(join(dir, 'out'), { recursive: true });
      const input = join(dir, 'original.png');
      await writeFile(input, await picture(post.id, post.body));
      const bytes = (await stat(input)).size;
      const prefix = newPrefix();
      const row = await media.insert({
        id: randomUUID(),
        ownerId: post.creator_id,
        kind: 'post_media',
        declaredMime: 'image/png',
        declaredBytes: bytes,
        filename: 'seed.png',
        storagePrefix: prefix,
        multipart: null,
        uploadExpiresAt: new Date(Date.now() + 3_600_000),
      });
      await o.storage.put(originalKey(row), { file: input }, 'image/png');
      await media.confirm(row.id, bytes);
      const result = await processImage(input, join(dir, 'out'), { maxBytes: o.config.media.limits.imageMaxBytes, maxPixels: o.config.media.limits.imageMaxPixels });
      const variants: Record<string, StoredVariant> = {};
      for (const f of result.files) {
        const name = /^\d+$/.test(f.variant) ? `w${f.variant}` : f.variant;
        const key = variantKey(row, name, 'webp');
        await o.storage.put(key, { file: f.path }, f.mime);
        variants[name] = { key, mime: f.mime, width: f.width, height: f.height, bytes: f.bytes };
      }
      await media.finishProcessing(row.id, { detectedMime: 'image/png', width: result.width, height: result.height, durationMs: null, variants, moderation: { state: 'approved', reason: null } });
      await seeds.attachMedia(post.id, row.id);
      await rm(dir, { recursive: true, force: true });
      made++;
      progress('post images', made, posts.length);
    }
    return { media: made, skipped: null };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A 640×480 PNG: a diagonal gradient between two colours taken from the id, and the post's first words. */
async function picture(id: string, body: string): Promise<Buffer> {
  const hex = id.replace(/-/g, '');
  const hue = (at: number) => Number.parseInt(hex.slice(at, at + 2), 16) * (360 / 256);
  const words = body.split(/\s+/).slice(0, 5).join(' ').replace(/[<>&"']/g, '');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${hue(0)}, 70%, 55%)"/><stop offset="1" stop-color="hsl(${hue(2)}, 70%, 35%)"/>
    </linearGradient></defs>
    <rect width="640" height="480" fill="url(#g)"/>
    <text x="32" y="440" font-family="sans-serif" font-size="30" fill="white">${words}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
