import jwt from 'jsonwebtoken';
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { AppError } from '../../errors.js';
import { JWT_ISSUER } from '../auth/tokens.js';

/** What a suspended login answers with: who may appeal, for a day, and nothing else (its own key and audience). */
const AUDIENCE = 'pairly-appeal';
const TTL_SECONDS = 86_400;

export class AppealTokens {
  private readonly key: KeyObject;

  constructor(secret: string) {
    // Derived, so an appeal token can never pass for an access token or a sign-in challenge.
    this.key = createSecretKey(Buffer.from(hkdfSync('sha256', secret, 'pairly', 'appeal-token', 32)));
  }

  issue(userId: string): string {
    return jwt.sign({}, this.key, { algorithm: 'HS256', expiresIn: TTL_SECONDS, issuer: JWT_ISSUER, audience: AUDIENCE, subject: userId });
  }

  /** The user it was issued to; INVALID_TOKEN / TOKEN_EXPIRED otherwise. */
  verify(token: string): string {
    try {
      const claims = jwt.verify(token, this.key, { algorithms: ['HS256'], issuer: JWT_ISSUER, audience: AUDIENCE });
      if (typeof claims === 'string' || typeof claims.sub !== 'string') throw new Error('no subject');
      return claims.sub;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new AppError('TOKEN_EXPIRED', 'this appeal link has expired: sign in again to get a new one');
      throw new AppError('INVALID_TOKEN', 'the appeal token is not valid');
    }
  }
}
