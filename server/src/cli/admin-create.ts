import { parseArgs } from 'node:util';
import { email as emailSchema, password as passwordSchema } from '../../../shared/auth.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../infra.js';
import { lockDataDir } from '../lockfile.js';
import { createLogger } from '../logger.js';
import { assertStrongPassword, createPasswordHasher } from '../modules/auth/passwords.js';
import { UsersStore } from '../modules/users/users.store.js';
import { AppError } from '../errors.js';
import { AuditStore } from '../modules/audit/audit.store.js';

/**
 * The only way to make an admin: `npm run admin:create -- --email a@b.c`
 * with the password from --password or the PAIRLY_ADMIN_PASSWORD variable
 * (so it need not sit in shell history). An existing account is promoted.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string', default: 'Admin' },
    },
  });
  const password = values.password ?? process.env.PAIRLY_ADMIN_PASSWORD;
  if (!values.email || !password) {
    console.error('usage: npm run admin:create -- --email <email> [--password <pw> | PAIRLY_ADMIN_PASSWORD=<pw>] [--name <displayName>]');
    process.exit(2);
  }
  const email = emailSchema.parse(values.email);
  passwordSchema.parse(password);
  assertStrongPassword(password, email);

  const config = loadConfig();
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir, 'admin:create');
  const logger = createLogger({ level: 'warn', nodeId: 'cli' });
  const db = await openDatabase(config, logger);
  try {
    const hasher = createPasswordHasher(config.argon2MemoryKib);
    const row = await new UsersStore(db).upsertAdmin({
      email,
      passwordHash: await hasher.hash(password),
      displayName: values.name!,
      birthdate: '1970-01-01',
    });
    await new AuditStore(db).insert({
      key: `admin_created:${row.id}:${Date.now()}`,
      actorId: row.id,
      action: 'admin.created',
      ip: null,
      at: new Date().toISOString(),
      meta: { via: 'cli' },
    });
    console.log(JSON.stringify({ id: row.id, email: row.email, role: row.role }));
  } finally {
    await db.close();
    unlock();
  }
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof AppError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
