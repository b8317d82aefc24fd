import type { AdminCreateBody } from '../../../../shared/admin.js';
import type { AuditStore } from '../audit/audit.store.js';
import { assertStrongPassword, type PasswordHasher } from '../auth/passwords.js';
import type { UsersStore } from '../users/users.store.js';

/**
 * Makes an admin, or promotes an existing account (its password replaced).
 * The one path for both the CLI (database opened directly) and the embedded
 * server's control call (the CLI asking the server that holds the data dir).
 */
export async function createAdmin(
  d: { users: UsersStore; audit: AuditStore; passwords: PasswordHasher },
  input: AdminCreateBody,
  via: 'cli' | 'control',
): Promise<{ id: string; email: string; role: string }> {
  assertStrongPassword(input.password, input.email);
  const row = await d.users.upsertAdmin({
    email: input.email,
    passwordHash: await d.passwords.hash(input.password),
    displayName: input.displayName,
    birthdate: '1970-01-01',
  });
  await d.audit.insert({
    key: `admin_created:${row.id}:${Date.now()}`,
    actorId: row.id,
    action: 'admin.created',
    ip: null,
    at: new Date().toISOString(),
    meta: { via },
  });
  return { id: row.id, email: row.email, role: row.role };
}
