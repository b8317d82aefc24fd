import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as PresignedPost from '@aws-sdk/s3-presigned-post';
import type * as RequestPresigner from '@aws-sdk/s3-request-presigner';
import type { MediaStorageConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import { requirePackage } from '../../lazy.js';
import { assertKey, assertPrefix, type MediaStorage } from './storage.js';

type S3Config = Extract<MediaStorageConfig, { driver: 's3' }>;

/** SigV4 presigned URLs live at most a week. */
const MAX_EXPIRY_SECONDS = 7 * 86_400;

const secondsUntil = (at: Date, from = Date.now()) => Math.min(MAX_EXPIRY_SECONDS, Math.max(1, Math.floor((at.getTime() - from) / 1000)));

/**
 * The origins browsers reach the bucket at (presigned POSTs and GETs), for the web app's CSP: the endpoint's host
 * with the bucket in front (virtual-hosted style, the SDK's default) or as it is (path style); AWS S3's regional
 * hosts without an endpoint.
 */
export function s3Origins(c: S3Config): string[] {
  if (!c.endpoint) return [`https://${c.bucket}.s3.${c.region}.amazonaws.com`, `https://s3.${c.region}.amazonaws.com`];
  const u = new URL(c.endpoint);
  return [c.forcePathStyle ? u.origin : `${u.protocol}//${c.bucket}.${u.host}`];
}

/**
 * Media in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2) through
 * the official SDK. Clients upload straight to the bucket: a presigned POST
 * whose policy bounds the size (content-length-range) and fixes the type,
 * or presigned UploadPart URLs for multipart uploads; they read through
 * presigned GETs. The server checks the stored size again at confirm,
 * since not every S3-compatible store enforces POST policies.
 */
export function createS3Storage(c: S3Config): MediaStorage {
  const {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    DeleteObjectsCommand,
    GetObjectCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    S3Client,
    S3ServiceException,
    UploadPartCommand,
  } = requirePackage<typeof ClientS3>('@aws-sdk/client-s3');
  const { createPresignedPost } = requirePackage<typeof PresignedPost>('@aws-sdk/s3-presigned-post');
  const { getSignedUrl } = requirePackage<typeof RequestPresigner>('@aws-sdk/s3-request-presigner');
  const missing = (err: unknown): boolean =>
    err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);

  const client = new S3Client({
    region: c.region,
    endpoint: c.endpoint,
    forcePathStyle: c.forcePathStyle,
    credentials: c.credentials,
    // Presigned PUTs would otherwise carry a checksum of an empty body that stores other than AWS refuse.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = c.bucket;

  return {
    driver: 's3',

    async put(key, source, contentType) {
      assertKey(key);
      const body = 'file' in source ? { Body: createReadStream(source.file), ContentLength: (await stat(source.file)).size } : { Body: source.bytes };
      await client.send(new PutObjectCommand({ Bucket, Key: key, ContentType: contentType, ...body }));
    },

    async get(key) {
      assertKey(key);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        return (res.Body as Readable | undefined) ?? null;
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },

    async head(key) {
      assertKey(key);
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: res.ContentLength ?? 0 };
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },

    async deletePrefix(prefix) {
      assertPrefix(prefix);
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length) {
          const res = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }));
          if (res.Errors?.length) throw new Error(`S3 refused to delete ${res.Errors.length} objects under ${prefix}: ${res.Errors[0]?.Code}`);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async uploadTarget(key, t) {
      assertKey(key);
      const post = await createPresignedPost(client, {
        Bucket,
        Key: key,
        Conditions: [
          ['content-length-range', 1, t.maxBytes],
          ['eq', '$Content-Type', t.contentType],
        ],
        Fields: { 'Content-Type': t.contentType },
        Expires: secondsUntil(t.expiresAt),
      });
      return { method: 'POST', url: post.url, fields: post.fields, expiresAt: t.expiresAt.toISOString() };
    },

    async readUrl(key, r) {
      assertKey(key);
      // Signed at the start of its window (media.urls.ts), so the same object gets the same URL for a while: caches work.
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key, ResponseContentType: r.contentType }), {
        expiresIn: secondsUntil(r.expiresAt, r.signedAt.getTime()),
        signingDate: r.signedAt,
      });
    },

    async createMultipart(key, contentType) {
      assertKey(key);
      const res = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }));
      if (!res.UploadId) throw new Error('S3 answered no UploadId');
      return res.UploadId;
    },

    async partUrl(key, uploadId, partNumber, t) {
      assertKey(key);
      return getSignedUrl(client, new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }), { expiresIn: secondsUntil(t.expiresAt) });
    },

    async completeMultipart(key, uploadId, parts) {
      assertKey(key);
      try {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          }),
        );
      } catch (err) {
        if (err instanceof S3ServiceException && ['InvalidPart', 'InvalidPartOrder', 'NoSuchUpload', 'EntityTooSmall'].includes(err.name)) {
          throw new AppError('UPLOAD_INCOMPLETE', `the parts do not make the upload (${err.name})`);
        }
        throw err;
      }
    },

    async abortMultipart(key, uploadId) {
      assertKey(key);
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }));
      } catch (err) {
        if (!(err instanceof S3ServiceException && err.name === 'NoSuchUpload')) throw err;
      }
    },

    async close() {
      client.destroy();
    },
  };
}
