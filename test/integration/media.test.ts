import { createHmac } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaView } from '../../shared/media.js';
import { createTokenSigner } from '../../server/src/modules/media/signed-token.js';
import { connect, http, newUser, nextEvent, waitFor } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import {
  createUpload,
  htmlBytes,
  jpegWithGps,
  jpegZipPolyglot,
  audioOnlyMp4,
  noisePng,
  pixelBombPng,
  processed,
  sendPart,
  sendUpload,
  smallMp4,
  truncatedJpeg,
  truncatedMp4,
  uploadAndConfirm,
} from '../support/media.js';
import { createBacking, startInProcess, tempDir, TEST_JWT_SECRET, type Backing, type InProcessNode } from '../support/pairly.js';
import { startS3Standin, type S3Standin } from '../support/s3-standin.js';

/**
 * Media end to end on real PostgreSQL and Redis, once with the embedded
 * driver (files in the data dir, served by the node) and once with the S3
 * driver against the S3 stand-in (test/support/s3-standin.ts): upload,
 * confirm, processing, signed reads, access rules, deletion, the sweep and
 * the bad input of issue #11. The same suite runs on both drivers.
 */
const MiB = 1024 * 1024;

for (const driver of ['local', 's3'] as const) {
  describe(`media (${driver} driver)`, () => {
    let backing: Backing;
    let node: InProcessNode;
    let s3: S3Standin | undefined;
    const data = tempDir(`media-${driver}`);
    let url: string;
    let admin: { userId: string; token: string };

    beforeAll(async () => {
      backing = await createBacking();
      s3 = driver === 's3' ? await startS3Standin() : undefined;
      node = await startInProcess({
        ...backing.env,
        RUN_WORKERS: 'true',
        PAIRLY_DATA_DIR: data.path,
        ...(s3 ? s3.env : { MEDIA_STORAGE: 'local' }),
        MEDIA_MULTIPART_THRESHOLD_BYTES: String(5 * MiB),
        MEDIA_MULTIPART_PART_BYTES: String(5 * MiB),
        MEDIA_UPLOADS_PER_HOUR: '40',
        JOB_BACKOFF_MS: '100',
      });
      url = node.url;
      admin = await newAdmin(node.pairly, url);
    }, 90_000);

    afterAll(async () => {
      await node?.stop();
      await s3?.stop();
      await backing?.cleanup();
      data.remove();
    });

    const storage = () => node.pairly.services.media.storage();
    const prefixOf = async (id: string) => (await node.pairly.db.query<{ storage_prefix: string }>('SELECT storage_prefix FROM media WHERE id = $1', [id])).rows[0]!.storage_prefix;
    const fetchVariant = (u: string) => fetch(new URL(u, url));

    it('uploads, confirms and processes a photo: GPS gone, WebP sizes never upscaled, signed URLs that expire within minutes, pushed to the owner', async () => {
      const owner = await newUser(url);
      const other = await newUser(url);
      const socket = await connect(url, owner.accessToken);
      try {
        const photo = await jpegWithGps(1600, 1200);
        const created = await createUpload(url, owner.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: photo.length, filename: 'me.jpg' });
        expect(created.status).toBe(201);
        expect(created.body.media).toMatchObject({ state: 'uploading', kind: 'avatar', variants: null, filename: 'me.jpg' });
        const upload = created.body.upload;
        expect(upload.method).toBe(driver === 'local' ? 'PUT' : 'POST');
        expect(new Date(upload.expiresAt).getTime()).toBeGreaterThan(Date.now());
        expect((await sendUpload(url, created.body.upload, photo)).ok).toBe(true);

        const id = created.body.media.id;
        const pushed = nextEvent<{ media: MediaView }>(socket, 'media:updated', 60_000);
        const confirmed = await http(url, 'POST', `/api/media/${id}/confirm`, { token: owner.accessToken, body: {} });
        expect(confirmed.status).toBe(202);
        expect(confirmed.body).toMatchObject({ replayed: false, media: { id, state: 'pending', bytes: photo.length } });

        const { media } = await pushed;
        expect(media).toMatchObject({ id, state: 'ready', mime: 'image/jpeg', width: 1600, height: 1200, moderation: { state: 'approved', byAdmin: false } });
        expect(Object.keys(media.variants!).sort()).toEqual(['preview', 'w1280', 'w160', 'w640']);
        const ttl = new Date(media.urlsExpireAt!).getTime() - Date.now();
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300_000);

        for (const [name, v] of Object.entries(media.variants!)) {
          const res = await fetchVariant(v.url);
          expect(res.status, name).toBe(200);
          expect(res.headers.get('content-type')).toBe('image/webp');
          const bytes = Buffer.from(await res.arrayBuffer());
          const meta = await sharp(bytes).metadata();
          expect(meta.format).toBe('webp');
          expect(meta.exif, `${name} carries no EXIF`).toBeUndefined();
          expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(name === 'preview' ? 160 : Number(name.slice(1)));
        }
        // The original is never served: no variant is it, and the URLs do not name the media id.
        expect(JSON.stringify(media.variants)).not.toContain(id);

        // Another signed-in user sees the avatar, without the owner's details.
        const seen = await http<{ media: MediaView }>(url, 'GET', `/api/media/${id}`, { token: other.accessToken });
        expect(seen.status).toBe(200);
        expect(seen.body.media.variants?.w640).toBeDefined();
        expect(seen.body.media).not.toHaveProperty('filename');
        expect(seen.body.media).not.toHaveProperty('moderation');

        // Confirming again answers the same item as it is now.
        const again = await http(url, 'POST', `/api/media/${id}/confirm`, { token: owner.accessToken, body: {} });
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({ replayed: true, media: { id, state: 'ready' } });
      } finally {
        socket.close();
      }
    });

    it('processes a video into an H.264 MP4 and a poster', async () => {
      const owner = await newUser(url);
      const clip = await smallMp4(1);
      const { id, confirmed } = await uploadAndConfirm(url, owner.accessToken, 'message_attachment', 'video/mp4', clip);
      expect(confirmed.status).toBe(202);
      const media = await processed(url, owner.accessToken, id);
      expect(media).toMatchObject({ state: 'ready', mime: 'video/mp4', width: 320, height: 240 });
      expect(media.durationMs).toBeGreaterThan(500);
      expect(Object.keys(media.variants!).sort()).toEqual(['poster', 'preview', 'video']);
      const video = await fetchVariant(media.variants!.video!.url);
      expect(video.status).toBe(200);
      expect(video.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await video.arrayBuffer()).subarray(4, 8).toString()).toBe('ftyp');
    });

    it('takes a large upload in parts, resumable: fresh part URLs on request, confirm joins the parts', async () => {
      const owner = await newUser(url);
      const png = await noisePng(1500); // ~6.4 MiB: two parts of 5 MiB
      const created = await createUpload(url, owner.accessToken, { kind: 'post_media', contentType: 'image/png', size: png.length });
      expect(created.status).toBe(201);
      const multipart = (created.body as { multipart: { partSize: number; partCount: number; parts: { partNumber: number; url: string }[] } }).multipart;
      expect(multipart).toMatchObject({ partSize: 5 * MiB, partCount: 2 });
      expect(multipart.parts.map((p) => p.partNumber)).toEqual([1, 2]);
      const id = created.body.media.id;

      const etag1 = await sendPart(url, multipart.parts[0]!.url, png.subarray(0, 5 * MiB));
      // Only part 1 is stored: confirming now is refused and changes nothing.
      const early = await http(url, 'POST', `/api/media/${id}/confirm`, { token: owner.accessToken, body: { parts: [{ partNumber: 1, etag: etag1 }, { partNumber: 2, etag: etag1 }] } });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('UPLOAD_INCOMPLETE');

      // The client comes back later for part 2's URL (resuming), and sends it.
      const fresh = await http<{ parts: { partNumber: number; url: string }[] }>(url, 'POST', `/api/media/${id}/parts`, { token: owner.accessToken, body: { partNumbers: [2] } });
      expect(fresh.status).toBe(200);
      expect(fresh.body.parts.map((p) => p.partNumber)).toEqual([2]);
      const etag2 = await sendPart(url, fresh.body.parts[0]!.url, png.subarray(5 * MiB));
      expect((await http(url, 'POST', `/api/media/${id}/parts`, { token: owner.accessToken, body: { partNumbers: [3] } })).body.error.code).toBe('VALIDATION_FAILED');

      const done = await http(url, 'POST', `/api/media/${id}/confirm`, { token: owner.accessToken, body: { parts: [{ partNumber: 1, etag: etag1 }, { partNumber: 2, etag: etag2 }] } });
      expect(done.status).toBe(202);
      expect(done.body.media.bytes).toBe(png.length);
      const media = await processed(url, owner.accessToken, id);
      expect(media).toMatchObject({ state: 'ready', mime: 'image/png', width: 1500, height: 1500 });
      expect((await http(url, 'POST', `/api/media/${id}/parts`, { token: owner.accessToken, body: { partNumbers: [1] } })).body.error.code).toBe('MEDIA_WRONG_STATE');
      if (s3) expect(await s3.openMultipartUploads()).toEqual([]);
    });

    describe('refuses bad input with a clear code, storing nothing', () => {
      it('a type the kind does not take, or a size over its limit, before any upload', async () => {
        const u = await newUser(url);
        const refuse = async (body: { kind: string; contentType: string; size: number }, status: number, code: string) => {
          const res = await createUpload(url, u.accessToken, body);
          expect(res.status, JSON.stringify(body)).toBe(status);
          expect(res.body.error?.code).toBe(code);
        };
        await refuse({ kind: 'avatar', contentType: 'application/pdf', size: 100 }, 415, 'UNSUPPORTED_MEDIA_TYPE');
        await refuse({ kind: 'avatar', contentType: 'image/svg+xml', size: 100 }, 415, 'UNSUPPORTED_MEDIA_TYPE');
        await refuse({ kind: 'profile_photo', contentType: 'video/mp4', size: 100 }, 415, 'UNSUPPORTED_MEDIA_TYPE');
        await refuse({ kind: 'verification_document', contentType: 'video/mp4', size: 100 }, 415, 'UNSUPPORTED_MEDIA_TYPE');
        await refuse({ kind: 'avatar', contentType: 'image/jpeg', size: 20 * MiB + 1 }, 413, 'PAYLOAD_TOO_LARGE');
        await refuse({ kind: 'post_media', contentType: 'video/mp4', size: 512 * MiB + 1 }, 413, 'PAYLOAD_TOO_LARGE');
        await refuse({ kind: 'avatar', contentType: 'image/jpeg', size: 0 }, 400, 'VALIDATION_FAILED');
        await refuse({ kind: 'selfie', contentType: 'image/jpeg', size: 10 }, 400, 'VALIDATION_FAILED');
        const rows = await node.pairly.db.query('SELECT 1 FROM media WHERE owner_id = $1', [u.user.id]);
        expect(rows.rowCount).toBe(0);
      });

      it('a confirm before the bytes, and an empty upload', async () => {
        const u = await newUser(url);
        const created = await createUpload(url, u.accessToken, { kind: 'cover', contentType: 'image/png', size: 1000 });
        const id = created.body.media.id;
        const early = await http(url, 'POST', `/api/media/${id}/confirm`, { token: u.accessToken, body: {} });
        expect(early.status).toBe(409);
        expect(early.body.error.code).toBe('UPLOAD_INCOMPLETE');

        const sent = await sendUpload(url, created.body.upload, Buffer.alloc(0));
        if (driver === 'local') {
          expect(sent.status).toBe(409);
          expect(((await sent.json()) as any).error.code).toBe('UPLOAD_INCOMPLETE');
        }
        const empty = await http(url, 'POST', `/api/media/${id}/confirm`, { token: u.accessToken, body: {} });
        expect(empty.status).toBe(409);
        expect(empty.body.error.code).toBe('UPLOAD_INCOMPLETE');
        expect(await storage().head(`${await prefixOf(id)}original`)).toBeNull();
        expect((await http(url, 'GET', `/api/media/${id}`, { token: u.accessToken })).body.media.state).toBe('uploading');
      });

      it('more bytes than declared', async () => {
        const u = await newUser(url);
        const photo = await jpegWithGps(320, 240);
        const created = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: photo.length - 10 });
        const id = created.body.media.id;
        const sent = await sendUpload(url, created.body.upload, photo);
        if (driver === 'local') {
          // Refused while streaming: nothing was kept, the upload can be sent again correctly.
          expect(sent.status).toBe(413);
          expect(((await sent.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
          expect(await storage().head(`${await prefixOf(id)}original`)).toBeNull();
          expect(readdirSync(join(data.path, 'media', 'tmp'))).toEqual([]);
          expect((await http(url, 'POST', `/api/media/${id}/confirm`, { token: u.accessToken, body: {} })).body.error.code).toBe('UPLOAD_INCOMPLETE');
        } else {
          // The stand-in, unlike S3, ignores the POST policy's size range: the confirm's own check refuses it for good.
          expect(sent.ok).toBe(true);
          const confirm = await http(url, 'POST', `/api/media/${id}/confirm`, { token: u.accessToken, body: {} });
          expect(confirm.status).toBe(413);
          expect(confirm.body.error.code).toBe('PAYLOAD_TOO_LARGE');
          expect(await storage().head(`${await prefixOf(id)}original`)).toBeNull();
          const media = (await http(url, 'GET', `/api/media/${id}`, { token: u.accessToken })).body.media;
          expect(media).toMatchObject({ state: 'rejected', rejectReason: 'too_large' });
        }
      });

      it.each([
        ['HTML declared as a JPEG', htmlBytes, 'profile_photo', 'image/jpeg', 'unsupported_type'],
        ['a JPEG with a ZIP archive appended (a polyglot)', jpegZipPolyglot, 'profile_photo', 'image/jpeg', 'unsupported_type'],
        ['a truncated JPEG', truncatedJpeg, 'profile_photo', 'image/jpeg', 'truncated'],
        ['a PNG whose header claims 100000 × 100000 pixels', pixelBombPng, 'avatar', 'image/png', 'pixel_limit'],
        ['a video behind an image type, for a kind that takes only images', smallMp4, 'avatar', 'image/jpeg', 'unsupported_type'],
        ['an MP4 with no video stream', audioOnlyMp4, 'message_attachment', 'video/mp4', 'no_video_stream'],
        ['a truncated MP4', truncatedMp4, 'post_media', 'video/mp4', 'truncated'],
      ])('%s: rejected by processing with its reason, every object removed', async (_what, make, kind, contentType, reason) => {
        const u = await newUser(url);
        const bytes = await make();
        const { id, confirmed } = await uploadAndConfirm(url, u.accessToken, kind, contentType, bytes);
        expect(confirmed.status).toBe(202);
        const media = await processed(url, u.accessToken, id);
        expect(media.state).toBe('rejected');
        expect(media.rejectReason).toBe(reason);
        expect(media.variants).toBeNull();
        await waitFor(async () => (await storage().head(`${await prefixOf(id)}original`)) === null, 10_000, 'original removed');
        const other = await newUser(url);
        expect((await http(url, 'GET', `/api/media/${id}`, { token: other.accessToken })).status).toBe(404);
      });

      it("someone else's upload: confirm, read before ready, parts and delete are NOT_FOUND", async () => {
        const owner = await newUser(url);
        const intruder = await newUser(url);
        const created = await createUpload(url, owner.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 1000 });
        const id = created.body.media.id;
        for (const [method, path, body] of [
          ['POST', `/api/media/${id}/confirm`, {}],
          ['GET', `/api/media/${id}`, undefined],
          ['POST', `/api/media/${id}/parts`, { partNumbers: [1] }],
          ['DELETE', `/api/media/${id}`, undefined],
        ] as const) {
          const res = await http(url, method, path, { token: intruder.accessToken, body });
          expect(res.status, `${method} ${path}`).toBe(404);
          expect(res.body.error.code).toBe('NOT_FOUND');
        }
        expect((await http(url, 'GET', `/api/media/${id}`, { token: owner.accessToken })).body.media.state).toBe('uploading');
      });

      it('a file name with path traversal is only a display name; keys are random', async () => {
        const u = await newUser(url);
        const photo = await jpegWithGps(200, 200);
        const { id } = await uploadAndConfirm(url, u.accessToken, 'avatar', 'image/jpeg', photo, '../../../etc/passwd');
        const media = await processed(url, u.accessToken, id);
        expect(media.state).toBe('ready');
        expect(media.filename).toBe('passwd');
        const prefix = await prefixOf(id);
        expect(prefix).toMatch(/^[a-f0-9]{2}\/[a-f0-9]{32}\/$/);
        if (driver === 'local') {
          expect(existsSync(join(data.path, 'etc'))).toBe(false);
          expect(readdirSync(join(data.path, 'media', 'objects')).every((d) => /^[a-f0-9]{2}$/.test(d))).toBe(true);
        }
        const windowsName = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 10, filename: '..\\..\\boot.ini\u0000' });
        expect(windowsName.status).toBe(400); // NUL refused by the schema
        const dotted = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 10, filename: '..\\..\\.htaccess' });
        expect(dotted.body.media.filename).toBe('htaccess');
      });

      it('uploads past the hourly limit', async () => {
        const u = await newUser(url);
        const codes: number[] = [];
        for (let i = 0; i < 41; i++) codes.push((await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/png', size: 10 })).status);
        expect(codes.slice(0, 40).every((c) => c === 201)).toBe(true);
        expect(codes[40]).toBe(429);
      });
    });

    it('reads follow the kind: public kinds to any signed-in user, the rest to the owner (and admins); nothing to anyone before it is ready', async () => {
      const owner = await newUser(url);
      const other = await newUser(url);
      const photo = await jpegWithGps(120, 90);
      const byKind: Record<string, string> = {};
      for (const kind of ['avatar', 'profile_photo', 'cover', 'post_media', 'message_attachment', 'verification_document']) {
        byKind[kind] = (await uploadAndConfirm(url, owner.accessToken, kind, 'image/jpeg', photo)).id;
      }
      for (const id of Object.values(byKind)) expect((await processed(url, owner.accessToken, id)).state).toBe('ready');
      const status = async (token: string, kind: string) => (await http(url, 'GET', `/api/media/${byKind[kind]}`, { token })).status;
      expect(await status(other.accessToken, 'avatar')).toBe(200);
      expect(await status(other.accessToken, 'profile_photo')).toBe(200);
      expect(await status(other.accessToken, 'cover')).toBe(200);
      expect(await status(other.accessToken, 'post_media')).toBe(404);
      expect(await status(other.accessToken, 'message_attachment')).toBe(404);
      expect(await status(other.accessToken, 'verification_document')).toBe(404);
      expect(await status(admin.token, 'verification_document')).toBe(200);
      expect(await status(owner.accessToken, 'verification_document')).toBe(200);
      expect((await http(url, 'GET', `/api/media/${byKind.avatar}`)).status).toBe(401);
      // Unguessable: another id of the same shape is simply not there.
      expect((await http(url, 'GET', `/api/media/${crypto.randomUUID()}`, { token: owner.accessToken })).status).toBe(404);
    });

    it('an admin overrides moderation: a rejected avatar is withdrawn (files kept), approving restores it', async () => {
      const owner = await newUser(url);
      const other = await newUser(url);
      const { id } = await uploadAndConfirm(url, owner.accessToken, 'avatar', 'image/jpeg', await jpegWithGps(100, 100));
      expect((await processed(url, owner.accessToken, id)).state).toBe('ready');
      const socket = await connect(url, owner.accessToken);
      try {
        expect((await http(url, 'POST', `/api/admin/media/${id}/moderation`, { token: other.accessToken, body: { decision: 'reject' } })).status).toBe(403);
        const pushed = nextEvent<{ media: MediaView }>(socket, 'media:updated');
        const rejected = await http(url, 'POST', `/api/admin/media/${id}/moderation`, { token: admin.token, body: { decision: 'reject', reason: 'not a face' } });
        expect(rejected.status).toBe(200);
        expect(rejected.body.media).toMatchObject({ state: 'rejected', rejectReason: 'moderation', moderation: { state: 'rejected', reason: 'not a face', byAdmin: true } });
        expect(rejected.body.media.variants).not.toBeNull(); // the admin still sees what was refused
        expect((await pushed).media).toMatchObject({ id, state: 'rejected', variants: null });
        expect((await http(url, 'GET', `/api/media/${id}`, { token: other.accessToken })).status).toBe(404);

        const approved = await http(url, 'POST', `/api/admin/media/${id}/moderation`, { token: admin.token, body: { decision: 'approve' } });
        expect(approved.body.media).toMatchObject({ state: 'ready', rejectReason: null, moderation: { state: 'approved', byAdmin: true } });
        const seen = await http<{ media: MediaView }>(url, 'GET', `/api/media/${id}`, { token: other.accessToken });
        expect((await fetchVariant(seen.body.media.variants!.w160!.url)).status).toBe(200);
      } finally {
        socket.close();
      }
      const pending = await createUpload(url, owner.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 10 });
      const wrong = await http(url, 'POST', `/api/admin/media/${pending.body.media.id}/moderation`, { token: admin.token, body: { decision: 'approve' } });
      expect(wrong.status).toBe(409);
      expect(wrong.body.error.code).toBe('MEDIA_WRONG_STATE');
    });

    it('delete removes the original and every variant from storage; its URLs stop working', async () => {
      const owner = await newUser(url);
      const { id } = await uploadAndConfirm(url, owner.accessToken, 'profile_photo', 'image/jpeg', await jpegWithGps(800, 600));
      const media = await processed(url, owner.accessToken, id);
      const prefix = await prefixOf(id);
      const keys = [`${prefix}original`, ...Object.values((await node.pairly.db.query<{ variants: Record<string, { key: string }> }>('SELECT variants FROM media WHERE id = $1', [id])).rows[0]!.variants).map((v) => v.key)];
      expect(keys).toHaveLength(5);
      for (const k of keys) expect(await storage().head(k), k).not.toBeNull();

      expect((await http(url, 'DELETE', `/api/media/${id}`, { token: owner.accessToken })).status).toBe(204);
      for (const k of keys) expect(await storage().head(k), k).toBeNull();
      for (const v of Object.values(media.variants!)) expect((await fetchVariant(v.url)).status).toBe(404);
      expect((await http(url, 'GET', `/api/media/${id}`, { token: owner.accessToken })).status).toBe(404);
      expect((await http(url, 'DELETE', `/api/media/${id}`, { token: owner.accessToken })).status).toBe(404);
      if (driver === 'local') expect(existsSync(join(data.path, 'media', 'objects', prefix))).toBe(false);
    });

    it('the sweep removes uploads never confirmed in time, their objects and their open multipart uploads', async () => {
      const u = await newUser(url);
      const photo = await jpegWithGps(100, 100);
      const single = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: photo.length });
      await sendUpload(url, single.body.upload, photo);
      const png = await noisePng(1400);
      const parts = await createUpload(url, u.accessToken, { kind: 'post_media', contentType: 'image/png', size: png.length });
      await sendPart(url, (parts.body as { multipart: { parts: { url: string }[] } }).multipart.parts[0]!.url, png.subarray(0, 5 * MiB));
      const kept = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 10 });
      const ids = [single.body.media.id, parts.body.media.id];
      const prefixes = await Promise.all(ids.map(prefixOf));
      expect(await storage().head(`${prefixes[0]}original`)).not.toBeNull();
      const uploadId = (await node.pairly.db.query<{ multipart_upload_id: string }>('SELECT multipart_upload_id FROM media WHERE id = $1', [ids[1]])).rows[0]!.multipart_upload_id;
      const openUploads = async () => (s3 ? await s3.openMultipartUploads() : readdirSync(join(data.path, 'media', 'multipart')));
      expect(await openUploads()).toContain(uploadId);

      // Their time runs out (as MEDIA_UPLOAD_TTL_SECONDS would have it); the other upload's has not.
      await node.pairly.db.query(`UPDATE media SET upload_expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [ids]);
      await node.pairly.jobs.queue.enqueue('media.sweep', {});
      await waitFor(async () => (await node.pairly.db.query('SELECT 1 FROM media WHERE id = ANY($1::uuid[])', [ids])).rowCount === 0, 15_000, 'expired uploads swept');
      expect(await storage().head(`${prefixes[0]}original`)).toBeNull();
      expect(await openUploads()).not.toContain(uploadId);
      expect((await http(url, 'GET', `/api/media/${kept.body.media.id}`, { token: u.accessToken })).body.media.state).toBe('uploading');
      // An upload URL of a swept item finds nothing.
      if (driver === 'local') expect((await sendUpload(url, single.body.upload, photo)).status).toBe(404);
    });

    if (driver === 'local') {
      describe('the embedded driver’s signed URLs', () => {
        const signer = createTokenSigner(createHmac('sha256', TEST_JWT_SECRET).update('pairly-media-urls').digest());

        it('refuse a forged or re-purposed token (INVALID_SIGNATURE) and an expired one (LINK_EXPIRED)', async () => {
          const u = await newUser(url);
          const { id } = await uploadAndConfirm(url, u.accessToken, 'avatar', 'image/jpeg', await jpegWithGps(100, 100));
          const media = await processed(url, u.accessToken, id);
          const readUrl = media.variants!.w160!.url;
          const token = readUrl.split('/').pop()!;
          const [payload, sig] = token.split('.') as [string, string];
          const code = async (res: Response) => ((await res.json()) as any).error.code;

          const flipped = `${payload}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
          let res = await fetch(`${url}/api/media/files/${flipped}`);
          expect(res.status).toBe(400);
          expect(await code(res)).toBe('INVALID_SIGNATURE');
          // A payload naming another key, under the old signature.
          const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), k: 'ab/abababababababababababababababab/original' })).toString('base64url');
          res = await fetch(`${url}/api/media/files/${other}.${sig}`);
          expect(await code(res)).toBe('INVALID_SIGNATURE');
          // A read token is no upload token.
          res = await fetch(`${url}/api/media/uploads/${token}`, { method: 'PUT', body: 'x' });
          expect(await code(res)).toBe('INVALID_SIGNATURE');

          const past = Math.floor(Date.now() / 1000) - 1;
          const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { k: string; t: string };
          res = await fetch(`${url}/api/media/files/${signer.sign('read', { k: decoded.k, t: decoded.t, e: past })}`);
          expect(res.status).toBe(410);
          expect(await code(res)).toBe('LINK_EXPIRED');
          res = await fetch(`${url}/api/media/uploads/${signer.sign('upload', { k: decoded.k, m: 100, e: past })}`, { method: 'PUT', body: 'x' });
          expect(res.status).toBe(410);
          expect(await code(res)).toBe('LINK_EXPIRED');

          // The genuine URL works, with ranges (video seeking).
          res = await fetch(new URL(readUrl, url), { headers: { range: 'bytes=0-3' } });
          expect(res.status).toBe(206);
          expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('RIFF');
        });

        it('cuts off a body that streams past the declared size (no Content-Length to refuse up front), keeping nothing', async () => {
          const u = await newUser(url);
          const created = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 100_000 });
          const chunk = Buffer.alloc(64 * 1024, 7);
          let sent = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              // Far more than declared, in chunks: the server must stop it by counting.
              if (sent >= 4 * MiB) return controller.close();
              sent += chunk.length;
              controller.enqueue(chunk);
            },
          });
          const res = await fetch(new URL(created.body.upload.url, url), { method: 'PUT', body, duplex: 'half' } as RequestInit).catch((err: Error) => err);
          // The server answers 413 as soon as the count passes the cap; a client still writing may see the connection close instead.
          if (!(res instanceof Error)) {
            expect(res.status).toBe(413);
            expect(((await res.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
          }
          expect(await storage().head(`${await prefixOf(created.body.media.id)}original`)).toBeNull();
          await waitFor(() => readdirSync(join(data.path, 'media', 'tmp')).length === 0, 5000, 'temporary file removed');
        });

        it('an upload URL stops taking bytes once its upload is confirmed', async () => {
          const u = await newUser(url);
          const photo = await jpegWithGps(100, 100);
          const { created } = await uploadAndConfirm(url, u.accessToken, 'avatar', 'image/jpeg', photo);
          const res = await sendUpload(url, created.upload, photo);
          expect(res.status).toBe(409);
          expect(((await res.json()) as any).error.code).toBe('MEDIA_WRONG_STATE');
        });
      });
    } else {
      it('asks S3 to enforce the size and type (a POST policy), and read URLs the store refuses once expired', async () => {
        const u = await newUser(url);
        const created = await createUpload(url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 1234 });
        const fields = (created.body as { upload: { fields: Record<string, string> } }).upload.fields;
        const policy = JSON.parse(Buffer.from(fields.Policy!, 'base64').toString()) as { conditions: unknown[]; expiration: string };
        expect(policy.conditions).toContainEqual(['content-length-range', 1, 1234]);
        expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'image/jpeg']);
        expect(new Date(policy.expiration).getTime()).toBeGreaterThan(Date.now());

        const { id } = await uploadAndConfirm(url, u.accessToken, 'avatar', 'image/jpeg', await jpegWithGps(100, 100));
        await processed(url, u.accessToken, id);
        const key = `${await prefixOf(id)}v/w160.webp`;
        const signedAt = new Date(Date.now() - 3_600_000);
        const expired = await storage().readUrl(key, { contentType: 'image/webp', signedAt, expiresAt: new Date(signedAt.getTime() + 60_000) });
        expect((await fetch(expired)).status).toBe(403);
      });
    }
  });
}

describe('media in embedded mode (PGlite, inline jobs, no Redis)', () => {
  it('goes from upload to ready to deleted on the same code path', async () => {
    const data = tempDir('media-embedded');
    const node = await startInProcess({ PAIRLY_DATA_DIR: data.path, ARGON2_MEMORY_KIB: '1024', LOG_LEVEL: 'silent' });
    try {
      expect(node.pairly.config.mode).toBe('embedded');
      expect(node.pairly.services.media.storage().driver).toBe('local');
      const u = await newUser(node.url);
      const { id, confirmed } = await uploadAndConfirm(node.url, u.accessToken, 'profile_photo', 'image/jpeg', await jpegWithGps(400, 300));
      expect(confirmed.status).toBe(202);
      const media = await processed(node.url, u.accessToken, id);
      expect(media.state).toBe('ready');
      expect((await fetch(new URL(media.variants!.w640!.url, node.url))).status).toBe(200);
      expect((await http(node.url, 'DELETE', `/api/media/${id}`, { token: u.accessToken })).status).toBe(204);
      expect((await fetch(new URL(media.variants!.w640!.url, node.url))).status).toBe(404);
    } finally {
      await node.stop();
      data.remove();
    }
  }, 60_000);
});

describe('media without storage', () => {
  it('is off in cluster mode unless S3 or a shared data dir is configured: MEDIA_UNAVAILABLE', async () => {
    const backing = await createBacking();
    const node = await startInProcess(backing.env);
    try {
      const u = await newUser(node.url);
      const res = await createUpload(node.url, u.accessToken, { kind: 'avatar', contentType: 'image/jpeg', size: 10 });
      expect(res.status).toBe(503);
      expect(res.body.error?.code).toBe('MEDIA_UNAVAILABLE');
    } finally {
      await node.stop();
      await backing.cleanup();
    }
  });
});
