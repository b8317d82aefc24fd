import type { Pairly } from '../../server/src/pairly.js';
import { randomUUID } from 'node:crypto';
import type { AuthResult } from '../../shared/auth.js';
import { enrolTwoFactor } from './two-factor.js';

/** Funds a wallet through the admin adjustment path (a real ledger transfer from the adjustments account). */
export async function fund(pairly: Pairly, userId: string, credits: number): Promise<void> {
  await pairly.services.ledger.adjust({ key: `test-fund:${randomUUID()}`, userId, amount: credits, reason: 'test funding', adminId: 'test' });
}

/**
 * An admin through the only path admins are made by (the CLI's store call), logged in over REST, whose
 * session turned two-factor sign-in on (admins act only from sessions that proved a second factor).
 * The whole session (a web app keeps the refresh token too), and the secret for later codes.
 */
export async function newAdminSession(pairly: Pairly, url: string): Promise<AuthResult & { secret: string }> {
  const { createPasswordHasher } = await import('../../server/src/modules/auth/passwords.js');
  const email = `admin.${randomUUID().slice(0, 8)}@example.test`;
  const password = 'Admin-password-123';
  await pairly.services.users.upsertAdmin({ email, passwordHash: await createPasswordHasher(1024).hash(password), displayName: 'Admin', birthdate: '1970-01-01' });
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const session = (await res.json()) as AuthResult;
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(session)}`);
  const { secret } = await enrolTwoFactor(url, session.accessToken);
  return { ...session, secret };
}

/** newAdminSession's id and access token. */
export async function newAdmin(pairly: Pairly, url: string): Promise<{ userId: string; token: string }> {
  const s = await newAdminSession(pairly, url);
  return { userId: s.user.id, token: s.accessToken };
}
