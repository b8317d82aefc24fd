import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A CommonJS package loaded when a driver that needs it is created, not when the
 * server starts: the providers' SDKs (Stripe, Razorpay, AWS S3) weigh 5–10 MB of
 * heap each, and an embedded server, which uses none of them, would carry them idle.
 * Its types come from an `import type` of the same package.
 */
export function requirePackage<T>(name: string): T {
  return requireHere(name) as T;
}
