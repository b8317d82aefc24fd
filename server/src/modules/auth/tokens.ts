import jwt from 'jsonwebtoken';
import { createHash, createSecretKey, hkdfSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { Role } from '../../../../shared/auth.js';
import { ROLES } from '../../../../shared/auth.js';
import { AppError } from '../../errors.js';
import type { Principal } from '../../principal.js';

export const JWT_ISSUER = 'pairly';
export const JWT_AUDIENCE = 'pairly-api';
/** The only algorithm accepted: "none" and algorithm confusion (RS256 with the secret as a key) are refused. */
const ALGORITHM = 'HS256';

export type { Principal } from '../../principal.js';

export class AccessTokens {
  /**
   * The secret as a KeyObject, made once. Given a string, jsonwebtoken first tries it as a public key
   * (createPublicKey, which throws for a secret) and then makes a secret key, on every sign and verify:
   * ~0.4 ms of CPU per token, a quarter of a node's work in a reconnect storm (BENCHMARKS.md).
   */
  private readonly key: KeyObject;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret));
  }

  issue(p: { userId: string; sessionId: string; role: Role }): string {
    return jwt.sign({ sid: p.sessionId, role: p.role }, this.key, {
      algorithm: ALGORITHM,
      expiresIn: this.ttlSeconds,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      subject: p.userId,
      jwtid: randomUUID(),
    });
  }

  verify(token: unknown): Principal {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      throw new AppError('UNAUTHENTICATED', 'an access token is required');
    }
    let claims: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
      if (typeof decoded === 'string') throw new Error('string payload');
      claims = decoded;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new AppError('TOKEN_EXPIRED', 'the access token has expired');
      throw new AppError('INVALID_TOKEN', 'the access token is not valid');
    }
    const { sub, sid, role, exp } = claims;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof exp !== 'number' ||
      !(ROLES as readonly unknown[]).includes(role)
    ) {
      throw new AppError('INVALID_TOKEN', 'the access token is not valid');
    }
    return { userId: sub, sessionId: sid, role: role as Role, expiresAt: exp * 1000 };
  }
}

/** A login's second step: who passed the password check, for five minutes; never an access token (its own audience). */
const CHALLENGE_AUDIENCE = 'pairly-2fa';
const CHALLENGE_TTL_SECONDS = 300;

export class LoginChallenges {
  private readonly key: KeyObject;

  constructor(secret: string) {
    // Derived, not the access tokens' key itself: a challenge and an access token can never stand for each other.
    this.key = createSecretKey(Buffer.from(hkdfSync('sha256', secret, 'pairly', 'login-challenge', 32)));
  }

  issue(userId: string): string {
    return jwt.sign({}, this.key, { algorithm: ALGORITHM, expiresIn: CHALLENGE_TTL_SECONDS, issuer: JWT_ISSUER, audience: CHALLENGE_AUDIENCE, subject: userId });
  }

  /** The user the challenge was issued to; INVALID_TOKEN / TOKEN_EXPIRED otherwise. */
  verify(token: string): string {
    try {
      const claims = jwt.verify(token, this.key, { algorithms: [ALGORITHM], issuer: JWT_ISSUER, audience: CHALLENGE_AUDIENCE });
      if (typeof claims === 'string' || typeof claims.sub !== 'string') throw new Error('no subject');
      return claims.sub;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new AppError('TOKEN_EXPIRED', 'this sign-in took too long: enter your password again');
      throw new AppError('INVALID_TOKEN', 'the sign-in challenge is not valid');
    }
  }
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
