import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase, openMediaStorage } from '../drivers.js';
import { DataDirInUseError, lockDataDir } from '../lockfile.js';
import { createLogger } from '../logger.js';
import { createPasswordHasher } from '../modules/auth/passwords.js';
import { seed, SEED_EMAIL_DOMAIN, SEED_PASSWORD, type SeedProgress } from './seed/seed.js';
import { seedImages } from './seed/images.js';
import { seedSubscriptions } from './seed/subscriptions.js';

const count = (max: number) => z.coerce.number().int().min(0).max(max);
const args = z.object({
  users: count(10_000_000).default(1000),
  creators: count(10_000_000).default(100),
  posts: count(10_000).default(20),
  follows: count(10_000).default(20),
  conversations: count(10_000_000).default(500),
  subscriptions: count(1_000_000).default(20),
  images: count(10_000).default(2),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(1),
  password: z.string().min(10).max(256).default(SEED_PASSWORD),
});

const USAGE = `usage: npm run seed -- [--users N] [--creators M] [--posts P] [--follows F] [--conversations K] [--subscriptions S] [--images I] [--seed S] [--password PW]
  --users N          fans, with dating profiles (default 1000)
  --creators M       creators, with a page and 1 to 3 tiers (default 100)
  --posts P          posts per creator (default 20)
  --follows F        creators each fan follows (default 20)
  --conversations K  fan pairs with 2 to 6 messages each (default 500)
  --subscriptions S  the first S fans each granted one period's credits and subscribed, through the ledger (default 20)
  --images I         each creator's latest I posts get a generated picture, stored and processed like an upload
                     (default 2; 0: none; about 0.1 s a picture, needs media storage: embedded, or MEDIA_STORAGE)
  --seed S           PRNG seed: the same seed writes the same text (default 1)
  --password PW      every seed user's password (default ${SEED_PASSWORD})
Users are fan<i>@${SEED_EMAIL_DOMAIN} and creator<i>@${SEED_EMAIL_DOMAIN}. Re-running skips what is there.`;

/**
 * `npm run seed`: synthetic data in the configured database (DATABASE_URL, or the embedded data dir, which
 * it locks: stop the server first), migrated first. For the web client to have something to show and for
 * the search benchmark.
 */
async function main(): Promise<void> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      options: Object.fromEntries(['users', 'creators', 'posts', 'follows', 'conversations', 'subscriptions', 'images', 'seed', 'password'].map((k) => [k, { type: 'string' as const }])),
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const parsed = args.safeParse(values);
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}`);
    process.exit(2);
  }
  const o = parsed.data;
  const config = loadConfig({ ...process.env, ALLOW_SINGLE_NODE_POSTGRES: 'true' });
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir, 'seed');
  try {
    const logger = createLogger({ level: 'warn', nodeId: 'cli' });
    const db = await openDatabase(config, logger);
    try {
      const passwordHash = await createPasswordHasher(config.argon2MemoryKib).hash(o.password);
      const progress = progressLine();
      const summary = await seed(db, { ...o, passwordHash, fanoutMax: config.feed.fanoutMax }, progress);
      const paid = await seedSubscriptions(db, { count: o.subscriptions, users: o.users, config, logger }, progress);
      summary.inserted.subscriptions = paid.subscriptions;
      const storage = openMediaStorage(config, config.jwtSecret ?? 'seed: no URLs are signed here');
      const pictures = await seedImages(db, { perCreator: o.images, storage, config }, progress).finally(() => storage?.close());
      summary.inserted.media = pictures.media;
      if (pictures.skipped) process.stderr.write(`\nseed: no post images: ${pictures.skipped}`);
      process.stderr.write('\n');
      console.log(`seeded in ${(summary.ms / 1000).toFixed(1)} s (rows written by this run; a re-run skips existing rows):`);
      for (const [table, n] of Object.entries(summary.inserted)) console.log(`  ${table.padEnd(22)} ${n}`);
      console.log(`log in as fan0@${SEED_EMAIL_DOMAIN} or creator0@${SEED_EMAIL_DOMAIN} with the password ${o.password === SEED_PASSWORD ? SEED_PASSWORD : 'given'}`);
    } finally {
      await db.close();
    }
  } finally {
    unlock();
  }
}

/** One line rewritten in place on a terminal, a line per phase step otherwise (at most every second). */
function progressLine(): SeedProgress {
  const tty = process.stderr.isTTY;
  const t0 = Date.now();
  let last = 0;
  return (phase, done, total) => {
    const now = Date.now();
    if (now - last < 1000 && done < total) return;
    last = now;
    const line = `[seed ${((now - t0) / 1000).toFixed(0)}s] ${phase} ${done}/${total}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else if (err instanceof DataDirInUseError) console.error('seed: a Pairly server holds the data dir: stop it first');
  else console.error(`seed: ${err instanceof Error ? err.message : String(err)}${process.env.DEBUG ? `\n${(err as Error).stack}` : ''}`);
  process.exit(1);
});
