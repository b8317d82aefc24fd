import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.js';

/**
 * The embedded driver's signed URLs: `<payload>.<signature>`, both base64url,
 * the signature an HMAC-SHA256 of the purpose and the payload. The purpose
 * keeps an upload token from being used to read and a read token from being
 * used to write. The payload carries its own expiry (`e`, epoch seconds).
 */
export type TokenPurpose = 'upload' | 'read';

export interface TokenSigner {
  sign(purpose: TokenPurpose, payload: { e: number } & Record<string, unknown>): string;
  /** INVALID_SIGNATURE for anything not signed here for this purpose; LINK_EXPIRED past its `e`. */
  verify(purpose: TokenPurpose, token: string, now?: number): Record<string, unknown> & { e: number };
}

/** The path segment a token travels in: what verify accepts at most, and the route's schema. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{8,2000}\.[A-Za-z0-9_-]{43}$/;

export function createTokenSigner(secret: Buffer): TokenSigner {
  const mac = (purpose: TokenPurpose, payload: string) => createHmac('sha256', secret).update(`${purpose}.${payload}`).digest();
  return {
    sign(purpose, payload) {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${mac(purpose, body).toString('base64url')}`;
    },
    verify(purpose, token, now = Date.now()) {
      const forged = () => new AppError('INVALID_SIGNATURE', 'this link is not valid');
      if (!TOKEN_PATTERN.test(token)) throw forged();
      const [body, sig] = token.split('.') as [string, string];
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(purpose, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forged();
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw forged();
      }
      if (!payload || typeof payload !== 'object' || typeof (payload as { e?: unknown }).e !== 'number') throw forged();
      const p = payload as Record<string, unknown> & { e: number };
      if (p.e * 1000 <= now) throw new AppError('LINK_EXPIRED', 'this link has expired: ask for a fresh one');
      return p;
    },
  };
}
