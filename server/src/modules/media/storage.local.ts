import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../errors.js';
import type { TokenSigner } from './signed-token.js';
import { assertKey, assertPrefix, type LocalEndpoints, type MediaStorage, type UploadGrant } from './storage.js';

/** Where the embedded driver's routes are mounted (media.routes.ts); its URLs are relative to the server's origin. */
export const LOCAL_ROUTES = { upload: '/api/media/uploads/', read: '/api/media/files/' };

const UPLOAD_ID = /^[a-f0-9]{32}$/;
const unquote = (etag: string) => etag.replace(/"/g, '');

/**
 * Media on this machine's disk, under `dir`:
 *
 *   objects/<key>                    what the S3 driver keeps in its bucket
 *   multipart/<uploadId>/key, <n>    an unfinished multipart upload: its key, its parts (and <n>.etag)
 *   tmp/<random>                     bytes still arriving; renamed into place only once complete
 *
 * Clients upload with PUT to a signed, expiring URL on this server and read
 * through another (`signer`, keyed by a secret derived from JWT_SECRET).
 */
export function createLocalStorage(o: { dir: string; signer: TokenSigner }): MediaStorage & { local: LocalEndpoints } {
  const root = resolve(o.dir);
  const objects = join(root, 'objects');
  const tmp = join(root, 'tmp');
  const multipart = join(root, 'multipart');

  const inside = (base: string, rel: string) => {
    const p = resolve(base, rel);
    // assertKey already refuses `..`; this is the second lock on the same door.
    if (!p.startsWith(base + sep)) throw new Error('media path escapes its folder');
    return p;
  };
  const objectPath = (key: string) => {
    assertKey(key);
    return inside(objects, key);
  };
  const uploadDir = (uploadId: string) => {
    if (!UPLOAD_ID.test(uploadId)) throw new AppError('NOT_FOUND', 'no such upload');
    return inside(multipart, uploadId);
  };
  const tempFile = async () => {
    await mkdir(tmp, { recursive: true });
    return join(tmp, randomBytes(16).toString('hex'));
  };
  /** Moves a finished temporary file into place (same file system: atomic). */
  const place = async (from: string, to: string) => {
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  };

  const endpoints: LocalEndpoints = {
    verifyUpload(token) {
      const p = o.signer.verify('upload', token);
      if (typeof p.k !== 'string' || typeof p.m !== 'number') throw new AppError('INVALID_SIGNATURE', 'this link is not valid');
      assertKey(p.k);
      const part = typeof p.u === 'string' && typeof p.p === 'number' ? { uploadId: p.u, partNumber: p.p } : undefined;
      return { key: p.k, maxBytes: p.m, part };
    },

    async receive(grant: UploadGrant, body: Readable, declaredLength: number | undefined) {
      if (declaredLength !== undefined && declaredLength > grant.maxBytes) {
        throw new AppError('PAYLOAD_TOO_LARGE', `this upload takes at most ${grant.maxBytes} bytes`);
      }
      let target: string;
      if (grant.part) {
        const dir = uploadDir(grant.part.uploadId);
        const key = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
        if (key !== grant.key) throw new AppError('NOT_FOUND', 'this multipart upload is finished or was abandoned');
        target = join(dir, String(grant.part.partNumber));
      } else {
        target = objectPath(grant.key);
      }
      const temp = await tempFile();
      const md5 = createHash('md5');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > grant.maxBytes) return done(new AppError('PAYLOAD_TOO_LARGE', `this upload takes at most ${grant.maxBytes} bytes`));
          md5.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(body, meter, createWriteStream(temp, { flags: 'wx' }));
        if (size === 0) throw new AppError('UPLOAD_INCOMPLETE', 'the body was empty: nothing was stored');
        const etag = `"${md5.digest('hex')}"`;
        if (grant.part) await writeFile(`${target}.etag`, etag);
        await place(temp, target);
        return { etag, size };
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        if (err instanceof AppError) throw err;
        // The client went away mid-body: nothing was kept.
        throw new AppError('VALIDATION_FAILED', 'the upload was interrupted: nothing was stored');
      }
    },

    async removeStaleTemp(before) {
      let removed = 0;
      for (const name of await readdir(tmp).catch(() => [] as string[])) {
        const s = await stat(join(tmp, name)).catch(() => undefined);
        if (s && s.mtime < before) {
          await rm(join(tmp, name), { force: true });
          removed++;
        }
      }
      return removed;
    },

    readFile(token) {
      const p = o.signer.verify('read', token);
      if (typeof p.k !== 'string' || typeof p.t !== 'string') throw new AppError('INVALID_SIGNATURE', 'this link is not valid');
      return { path: objectPath(p.k), contentType: p.t, maxAgeSeconds: Math.max(0, Math.floor(p.e - Date.now() / 1000)) };
    },
  };

  return {
    driver: 'local',
    local: endpoints,

    async put(key, source, _contentType) {
      const target = objectPath(key);
      const temp = await tempFile();
      try {
        if ('file' in source) await copyFile(source.file, temp);
        else await writeFile(temp, source.bytes);
        await place(temp, target);
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
    },

    async get(key) {
      const handle = await open(objectPath(key), 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      return handle ? handle.createReadStream() : null;
    },

    async head(key) {
      const s = await stat(objectPath(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      return s?.isFile() ? { size: s.size } : null;
    },

    async deletePrefix(prefix) {
      assertPrefix(prefix);
      await rm(inside(objects, prefix), { recursive: true, force: true });
    },

    async uploadTarget(key, t) {
      assertKey(key);
      const token = o.signer.sign('upload', { k: key, m: t.maxBytes, e: Math.floor(t.expiresAt.getTime() / 1000) });
      return { method: 'PUT', url: LOCAL_ROUTES.upload + token, headers: { 'content-type': t.contentType }, expiresAt: t.expiresAt.toISOString() };
    },

    async readUrl(key, r) {
      assertKey(key);
      return LOCAL_ROUTES.read + o.signer.sign('read', { k: key, t: r.contentType, e: Math.floor(r.expiresAt.getTime() / 1000) });
    },

    async createMultipart(key) {
      assertKey(key);
      const uploadId = randomBytes(16).toString('hex');
      const dir = uploadDir(uploadId);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'key'), key);
      return uploadId;
    },

    async partUrl(key, uploadId, partNumber, t) {
      assertKey(key);
      uploadDir(uploadId);
      const token = o.signer.sign('upload', { k: key, m: t.maxBytes, u: uploadId, p: partNumber, e: Math.floor(t.expiresAt.getTime() / 1000) });
      return LOCAL_ROUTES.upload + token;
    },

    async completeMultipart(key, uploadId, parts) {
      const dir = uploadDir(uploadId);
      const incomplete = (why: string) => new AppError('UPLOAD_INCOMPLETE', why);
      if ((await readFile(join(dir, 'key'), 'utf8').catch(() => undefined)) !== key) throw incomplete('this multipart upload is finished or was abandoned');
      for (const part of parts) {
        const stored = await readFile(join(dir, `${part.partNumber}.etag`), 'utf8').catch(() => undefined);
        if (stored === undefined) throw incomplete(`part ${part.partNumber} was not uploaded`);
        if (unquote(stored) !== unquote(part.etag)) throw incomplete(`part ${part.partNumber} does not match its ETag`);
      }
      const temp = await tempFile();
      try {
        const out = createWriteStream(temp, { flags: 'wx' });
        for (const part of parts) await pipeline(createReadStream(join(dir, String(part.partNumber))), out, { end: false });
        await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
        await place(temp, objectPath(key));
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
      await rm(dir, { recursive: true, force: true });
    },

    async abortMultipart(_key, uploadId) {
      await rm(uploadDir(uploadId), { recursive: true, force: true });
    },

    async close() {},
  };
}
