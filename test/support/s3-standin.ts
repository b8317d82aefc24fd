import { readdir, readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { tempDir } from './pairly.js';

/**
 * A LOCAL STAND-IN for S3: s3rver (a small S3-compatible server on files) on
 * 127.0.0.1, which Pairly's S3 driver reaches through the official AWS SDK and
 * its presigners, path-style. It is weaker than S3 and the tests know it:
 * - it checks no SigV4 signature and ignores POST policy conditions (the
 *   size range and the type): Pairly's own checks at confirm are what the
 *   tests exercise, never the store refusing;
 * - it enforces presigned URLs' expiry;
 * - it lacks AbortMultipartUpload: this stand-in adds it (DELETE
 *   /<bucket>/<key>?uploadId=…, removing the upload's parts as S3 does),
 *   since Pairly's sweep aborts the multipart uploads it abandons;
 * - its CompleteMultipartUpload does not check the listed parts (a part never
 *   sent crashes it): this stand-in answers S3's `InvalidPart` error for a
 *   part that is missing or whose ETag differs, before s3rver sees the request.
 */
export interface S3Standin {
  endpoint: string;
  bucket: string;
  /** The env a Pairly node needs to use it. */
  env: Record<string, string>;
  /** Ids of the multipart uploads still open in the bucket. */
  openMultipartUploads(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startS3Standin(bucket = 'pairly-media'): Promise<S3Standin> {
  const dir = tempDir('s3-standin');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir.path, configureBuckets: [{ name: bucket }] });
  const uploadsDir = () => server.store.getResourcePath(bucket, undefined, 'uploads');
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string' || !/^[a-f0-9]{32}$/.test(uploadId)) return next();
    await rm(`${uploadsDir()}/${uploadId}`, { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = '';
  });
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'POST' || typeof uploadId !== 'string' || !/^[a-f0-9]{32}$/.test(uploadId)) return next();
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const xml = Buffer.concat(chunks);
    const parts = [...xml.toString('utf8').matchAll(/<Part>\s*(?:<ETag>([^<]*)<\/ETag>\s*<PartNumber>(\d+)<\/PartNumber>|<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([^<]*)<\/ETag>)/g)].map((m) => ({
      number: m[2] ?? m[3]!,
      etag: (m[1] ?? m[4]!).replace(/&quot;|"/g, ''),
    }));
    for (const part of parts) {
      const md5 = await readFile(`${uploadsDir()}/${uploadId}/${part.number}.md5`, 'utf8').catch(() => undefined);
      if (md5 !== part.etag) {
        ctx.status = 400;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message><PartNumber>${part.number}</PartNumber></Error>`;
        return;
      }
    }
    // s3rver reads the body itself: hand it the bytes read here.
    (ctx as unknown as { req: Readable }).req = Readable.from([xml]);
    return next();
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    env: {
      MEDIA_STORAGE: 's3',
      MEDIA_S3_ENDPOINT: endpoint,
      MEDIA_S3_BUCKET: bucket,
      MEDIA_S3_REGION: 'us-east-1',
      MEDIA_S3_ACCESS_KEY_ID: 'S3RVER',
      MEDIA_S3_SECRET_ACCESS_KEY: 'S3RVER',
      MEDIA_S3_FORCE_PATH_STYLE: 'true',
    },
    openMultipartUploads: async () => (await readdir(uploadsDir()).catch(() => [] as string[])),
    async stop() {
      await server.close();
      dir.remove();
    },
  };
}
