import type { RequestHandler } from 'express';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../ratelimit.js';

/**
 * One point per request from the client's address (req.ip: X-Forwarded-For
 * only from the proxies TRUST_PROXY names). Mounted first on /api, so a
 * refused request costs no body parsing, no token check and no query.
 */
export function limitByAddress(limiter: RateLimiterAbstract): RequestHandler {
  return async (req, _res, next) => {
    await limiter.consume(req.ip ?? 'unknown').catch((err: unknown) => {
      throw rateLimited(err, 'too many requests from this address; slow down');
    });
    next();
  };
}
