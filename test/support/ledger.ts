import type { Pairly } from '../../server/src/pairly.js';
import { randomUUID } from 'node:crypto';

/** Funds a wallet through the admin adjustment path (a real ledger transfer from the adjustments account). */
export async function fund(pairly: Pairly, userId: string, credits: number): Promise<void> {
  await pairly.services.ledger.adjust({ key: `test-fund:${randomUUID()}`, userId, amount: credits, reason: 'test funding', adminId: 'test' });
}

/** An admin through the only path admins are made by (the CLI's store call), logged in over REST. */
export async function newAdmin(pairly: Pairly, url: string): Promise<{ userId: string; token: string }> {
  const { createPasswordHasher } = await import('../../server/src/modules/auth/passwords.js');
  const email = `admin.${randomUUID().slice(0, 8)}@example.test`;
  const password = 'Admin-password-123';
  const row = await pairly.services.users.upsertAdmin({
    email,
    passwordHash: await createPasswordHasher(1024).hash(password),
    displayName: 'Admin',
    birthdate: '1970-01-01',
  });
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { accessToken: string };
  return { userId: row.id, token: body.accessToken };
}
