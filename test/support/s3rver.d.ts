/** The few parts of s3rver (no types of its own) the S3 stand-in uses. */
declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface KoaContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    body: unknown;
    type: string;
    req: import('node:http').IncomingMessage;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware list: a function put first runs before s3rver's router. */
    middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void)[];
    store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
    httpServer?: Server;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
