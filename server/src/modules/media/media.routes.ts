import { Router } from 'express';
import { z } from 'zod';
import { confirmBody, createUploadBody, moderationBody, presignPartsBody } from '../../../../shared/media.js';
import { AppError } from '../../errors.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { MediaService } from './media.service.js';
import { TOKEN_PATTERN } from './signed-token.js';

export const mediaId = z.uuid();
/** A signed token of the embedded driver's URLs (checked for its signature and expiry by the service). */
export const mediaToken = z.string().regex(TOKEN_PATTERN, 'not a media link');

/** Mounted at /api/media. */
export function mediaRoutes(guards: Guards, media: MediaService): Router {
  const r = Router();
  const { authed } = guards;
  const viewer = (res: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(res);
    return { userId: p.userId, role: p.role };
  };
  r.post('/uploads', authed, async (req, res) => void res.status(201).json(await media.createUpload(principalOf(res).userId, parse(createUploadBody, req.body))));
  r.post('/:id/parts', authed, async (req, res) => {
    const body = parse(presignPartsBody, req.body);
    res.json(await media.presignParts(principalOf(res).userId, parse(mediaId, req.params.id), body.partNumbers));
  });
  r.post('/:id/confirm', authed, async (req, res) => {
    const body = parse(confirmBody, req.body ?? {});
    const result = await media.confirm(principalOf(res).userId, parse(mediaId, req.params.id), body.parts);
    res.status(result.replayed ? 200 : 202).json(result);
  });
  r.get('/:id', authed, async (req, res) => void res.json({ media: await media.get(viewer(res), parse(mediaId, req.params.id)) }));
  r.delete('/:id', authed, async (req, res) => {
    await media.delete(principalOf(res).userId, parse(mediaId, req.params.id));
    res.status(204).end();
  });
  return r;
}

/** Mounted at /api/admin/media. */
export function mediaAdminRoutes(guards: Guards, media: MediaService): Router {
  const r = Router();
  r.post('/:id/moderation', guards.requireRole('admin'), async (req, res) => {
    const body = parse(moderationBody, req.body);
    res.json({ media: await media.moderate(principalOf(res).userId, parse(mediaId, req.params.id), body.decision, body.reason, req.ip ?? null) });
  });
  return r;
}

/**
 * The embedded driver's signed URLs, mounted at /api/media on the app itself:
 * the upload takes raw bytes (outside /api's JSON parser), and both are
 * opened by URL alone (an <img> sends no bearer token): the signature is the
 * permission. With the S3 driver they answer NOT_FOUND.
 */
export function mediaFileRoutes(media: MediaService): Router {
  const r = Router();
  r.put('/uploads/:token', async (req, res) => {
    const token = parse(mediaToken, req.params.token);
    const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const stored = await media.receiveUpload(token, req, Number.isSafeInteger(length) ? length : undefined).catch((err: unknown) => {
      // Refused before the body ended: close the connection after the answer rather than read (and discard) the rest.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw err;
    });
    res.setHeader('ETag', stored.etag);
    res.json(stored);
  });
  r.get('/files/:token', async (req, res, next) => {
    const file = media.readFile(parse(mediaToken, req.params.token));
    res.sendFile(
      file.path,
      {
        headers: {
          'Content-Type': file.contentType,
          'Cache-Control': `private, max-age=${file.maxAgeSeconds}`,
          // Served to pages of other origins too (the URL is the permission); never sniffed as another type.
          'Cross-Origin-Resource-Policy': 'cross-origin',
          'X-Content-Type-Options': 'nosniff',
        },
        cacheControl: false,
        lastModified: false,
        dotfiles: 'deny',
      },
      (err?: Error & { status?: number }) => {
        if (!err) return;
        if (res.headersSent) return;
        next(err.status === 404 ? new AppError('NOT_FOUND', 'this media no longer exists') : err);
      },
    );
  });
  return r;
}

/** Mounted at /api/media. */
export const mediaRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/uploads',
    summary:
      'Start an upload: { kind, contentType, size, filename? } → { media, upload } (send the bytes in one request: PUT with `headers`, or POST a form with `fields` then `file`) or, above MEDIA_MULTIPART_THRESHOLD_BYTES, { media, multipart } (PUT each part to its URL, keep each ETag). UNSUPPORTED_MEDIA_TYPE for a type the kind does not take, PAYLOAD_TOO_LARGE over its limit, RATE_LIMITED past MEDIA_UPLOADS_PER_HOUR.',
    auth: 'user',
    body: createUploadBody,
    response: { status: 201, description: '{ media: { id, state: "uploading", ... }, upload: { method, url, fields?, headers?, expiresAt } } or { media, multipart: { partSize, partCount, parts: [{ partNumber, url }], expiresAt } }' },
  },
  {
    method: 'post',
    path: '/:id/parts',
    summary: 'Fresh URLs for parts of an open upload in parts (to resume it).',
    auth: 'user',
    params: { id: mediaId },
    body: presignPartsBody,
    response: { status: 200, description: '{ parts: [{ partNumber, url }], expiresAt }' },
  },
  {
    method: 'post',
    path: '/:id/confirm',
    summary:
      'The bytes are stored: checks their real size (above 0, at most the declared size) and queues processing. Confirming again answers the item as it is (200, replayed). UPLOAD_INCOMPLETE (nothing, zero bytes or parts missing), PAYLOAD_TOO_LARGE (more than declared: refused for good), UPLOAD_EXPIRED, NOT_FOUND (not yours).',
    auth: 'user',
    params: { id: mediaId },
    body: confirmBody,
    response: { status: 202, description: '{ media (state "pending"), replayed: false }; 200 with replayed: true on a repeat' },
  },
  { method: 'get', path: '/:id', summary: 'A media item the caller may read, with signed variant URLs once ready.', auth: 'user', params: { id: mediaId }, response: { status: 200, description: '{ media }' } },
  { method: 'delete', path: '/:id', summary: 'Delete one of my media items: every stored variant and the original are removed.', auth: 'user', params: { id: mediaId }, response: { status: 204, description: 'deleted' } },
];

/** Mounted at /api/admin/media. */
export const mediaAdminRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/:id/moderation',
    summary: "Admins: override moderation: approve (a refused item becomes ready again) or reject (a ready item is withdrawn, its files kept). Audited; the owner gets media:updated.",
    auth: 'admin',
    params: { id: mediaId },
    body: moderationBody,
    response: { status: 200, description: '{ media }' },
  },
];

/** Mounted at /api/media on the app itself (embedded driver only). */
export const mediaFileRouteDocs: RouteDoc[] = [
  {
    method: 'put',
    path: '/uploads/:token',
    summary:
      'Embedded mode: the raw bytes of an upload (or of one part), to the signed URL POST /api/media/uploads gave. Streamed to disk and kept only when complete: PAYLOAD_TOO_LARGE past the declared size, UPLOAD_INCOMPLETE for an empty body, LINK_EXPIRED, INVALID_SIGNATURE.',
    auth: 'none',
    params: { token: mediaToken },
    response: { status: 200, description: '{ etag, size } (and the ETag header)' },
  },
  {
    method: 'get',
    path: '/files/:token',
    summary: 'Embedded mode: a media variant, by the signed URL a media view carries (Range requests supported). LINK_EXPIRED, INVALID_SIGNATURE.',
    auth: 'none',
    params: { token: mediaToken },
    response: { status: 200, description: 'the bytes' },
  },
];
