import { describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import { ageOn } from '../../server/src/modules/auth/auth.service.js';
import { assertStrongPassword } from '../../server/src/modules/auth/passwords.js';
import { AccessTokens, hashRefreshToken, newRefreshToken } from '../../server/src/modules/auth/tokens.js';

describe('ageOn', () => {
  const day = (s: string) => new Date(`${s}T12:00:00Z`);
  it('counts birthdays exactly', () => {
    expect(ageOn('2000-06-15', day('2018-06-14'))).toBe(17);
    expect(ageOn('2000-06-15', day('2018-06-15'))).toBe(18);
    expect(ageOn('2000-02-29', day('2018-02-28'))).toBe(17);
    expect(ageOn('2000-02-29', day('2018-03-01'))).toBe(18);
  });
});

describe('assertStrongPassword', () => {
  it('accepts a long mixed password and refuses weak ones', () => {
    expect(() => assertStrongPassword('Sturdy-Password-42', 'a@b.co')).not.toThrow();
    for (const pw of ['short1!', 'abcdefghijkl', '123456789012', 'password123']) {
      expect(() => assertStrongPassword(pw, 'a@b.co'), pw).toThrow(expect.objectContaining({ code: 'WEAK_PASSWORD' }));
    }
    expect(() => assertStrongPassword('jonathan-2024!', 'jonathan@b.co')).toThrow(/email/);
  });
});

describe('AccessTokens', () => {
  const secret = 's'.repeat(40);
  const tokens = new AccessTokens(secret, 900);

  it('round-trips its claims', () => {
    const t = tokens.issue({ userId: 'u1', sessionId: 's1', role: 'creator' });
    const p = tokens.verify(t);
    expect(p).toMatchObject({ userId: 'u1', sessionId: 's1', role: 'creator' });
    expect(p.expiresAt - Date.now()).toBeGreaterThan(890_000);
  });

  it('refuses algorithm confusion: an RS256 token, and an HS256 token signed with a public key as secret', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs = jwt.sign({ sid: 's', role: 'admin' }, privateKey, { algorithm: 'RS256', subject: 'u', issuer: 'pairly', audience: 'pairly-api' });
    expect(() => tokens.verify(rs)).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = jwt.sign({ sid: 's', role: 'admin' }, pem, { algorithm: 'HS256', subject: 'u', issuer: 'pairly', audience: 'pairly-api' });
    expect(() => tokens.verify(confused)).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
  });

  it('refuses an unknown role and a wrong issuer', () => {
    const bad = jwt.sign({ sid: 's', role: 'root' }, secret, { algorithm: 'HS256', subject: 'u', issuer: 'pairly', audience: 'pairly-api' });
    expect(() => tokens.verify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
    const iss = jwt.sign({ sid: 's', role: 'fan' }, secret, { algorithm: 'HS256', subject: 'u', issuer: 'other', audience: 'pairly-api' });
    expect(() => tokens.verify(iss)).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
  });
});

describe('refresh tokens', () => {
  it('are random and stored only as a hash', () => {
    const a = newRefreshToken();
    const b = newRefreshToken();
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toBe(hashRefreshToken(a.token));
    expect(a.hash).not.toContain(a.token);
    expect(a.token.length).toBeGreaterThanOrEqual(43);
  });
});
