import { parseArgs } from 'node:util';
import { z } from 'zod';
import { email as emailSchema, ROLES, type Role } from '../../../shared/auth.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../drivers.js';
import { AppError } from '../errors.js';
import { DataDirInUseError, lockDataDir } from '../lockfile.js';
import { createLogger } from '../logger.js';
import { AuditStore } from '../modules/audit/audit.store.js';
import { changeRole } from '../modules/reports/admin-users.service.js';
import { UsersStore } from '../modules/users/users.store.js';
import { CliError } from './control-client.js';

const args = z.object({ email: emailSchema, role: z.enum(ROLES) });

/**
 * Role changes from the command line, beside admin:create: `npm run roles -- --email a@b.c --role creator`.
 * The way in when no admin with two-factor sign-in exists (the API refuses everyone else); audited as
 * `admin.role_changed` with `via: cli`. The user's open sessions keep their old role until their access
 * tokens expire (ACCESS_TOKEN_TTL_SECONDS): a token refresh carries the new one. In embedded mode it needs
 * the data dir, so stop the server first.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, role: { type: 'string' } } });
  const parsed = args.safeParse(values);
  if (!parsed.success) {
    console.error(`usage: npm run roles -- --email <email> --role <${ROLES.join('|')}>`);
    process.exit(2);
  }
  const config = loadConfig({ ...process.env, ALLOW_SINGLE_NODE_POSTGRES: 'true' });
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir, 'roles');
  try {
    const db = await openDatabase(config, createLogger({ level: 'warn', nodeId: 'cli' }));
    try {
      console.log(JSON.stringify(await setRole(db, parsed.data.email, parsed.data.role)));
    } finally {
      await db.close();
    }
  } finally {
    unlock();
  }
}

async function setRole(db: Awaited<ReturnType<typeof openDatabase>>, email: string, role: Role) {
  const users = new UsersStore(db);
  const user = await users.findByEmail(email);
  if (!user) throw new CliError(`no account with the email ${email}`);
  const audit = new AuditStore(db);
  const changed = await changeRole(
    { db, users, audit: { recordIn: (q, e) => audit.insert({ ...e, at: new Date().toISOString() }, q) } },
    { actorId: null, userId: user.id, role, ip: null, via: 'cli' },
  );
  return { id: user.id, email: user.email, ...changed };
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else if (err instanceof DataDirInUseError) console.error('roles: a Pairly server holds the data dir: stop it first');
  else if (err instanceof CliError || err instanceof AppError) console.error(`roles: ${err.message}`);
  else console.error(`roles: ${err instanceof Error ? err.message : String(err)}${process.env.DEBUG ? `\n${(err as Error).stack}` : ''}`);
  process.exit(1);
});
