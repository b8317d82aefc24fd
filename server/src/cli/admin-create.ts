import { parseArgs } from 'node:util';
import { adminCreateBody, type AdminCreateBody } from '../../../shared/admin.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../drivers.js';
import { DataDirInUseError, lockDataDir } from '../lockfile.js';
import { createLogger } from '../logger.js';
import { assertStrongPassword, createPasswordHasher } from '../modules/auth/passwords.js';
import { UsersStore } from '../modules/users/users.store.js';
import { AppError } from '../errors.js';
import { AuditStore } from '../modules/audit/audit.store.js';
import { createAdmin } from '../modules/admin/admin.create.js';
import { askRunningServer, CliError } from './control-client.js';

type Created = { id: string; email: string; role: string };

/**
 * The only way to make an admin: `npm run admin:create -- --email a@b.c`
 * with the password from --password or the PAIRLY_ADMIN_PASSWORD variable
 * (so it need not sit in shell history). An existing account is promoted.
 * In embedded mode, while a server holds the data dir, the server does it
 * (called on loopback with the secret it keeps in the data dir).
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
  const parsed = adminCreateBody.safeParse({ email: values.email, password, displayName: values.name });
  if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const input = parsed.data;
  assertStrongPassword(input.password, input.email);

  // One short-lived process touching only the database: the several-nodes-without-Redis refusal is not about it.
  const config = loadConfig({ ...process.env, ALLOW_SINGLE_NODE_POSTGRES: 'true' });
  let unlock: () => void = () => undefined;
  if (!config.databaseUrl) {
    try {
      unlock = lockDataDir(config.dataDir, 'admin:create');
    } catch (err) {
      if (!(err instanceof DataDirInUseError)) throw err;
      print(await throughRunningServer(err, input));
      return;
    }
  }
  try {
    print(await directly(config, input));
  } finally {
    unlock();
  }
}

async function directly(config: Config, input: AdminCreateBody): Promise<Created> {
  const db = await openDatabase(config, createLogger({ level: 'warn', nodeId: 'cli' }));
  try {
    return await createAdmin({ users: new UsersStore(db), audit: new AuditStore(db), passwords: createPasswordHasher(config.argon2MemoryKib) }, input, 'cli');
  } finally {
    await db.close();
  }
}

async function throughRunningServer(inUse: DataDirInUseError, input: AdminCreateBody): Promise<Created> {
  const body = await askRunningServer<Created>(inUse, 'admin:create', '/_control/admin-users', { method: 'POST', body: input });
  return { id: body.id, email: body.email, role: body.role };
}

function print(created: Created): void {
  console.log(JSON.stringify(created));
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else if (err instanceof CliError || err instanceof AppError || err instanceof DataDirInUseError) console.error(`admin:create: ${err.message}`);
  // Anything else is unexpected: still one line for the operator; the stack only when asked for.
  else console.error(`admin:create: ${err instanceof Error ? err.message : String(err)}${process.env.DEBUG ? `\n${(err as Error).stack}` : ''}`);
  process.exit(1);
});
