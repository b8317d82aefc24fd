/**
 * A process that spends without pause, for the ledger's kill test
 * (test/integration/ledger-batch.test.ts): WORKERS workers run group-commit
 * spends (keys `kill:<w>:<i>`) and BULK workers run spendMany of 5
 * (keys `many:<w>:<i>:<j>`), one after another, each from FAN to CREATOR for
 * 10 credits. Each success is written to stdout as `ok <key>` after the call
 * resolved (so after its commit); stdout to a pipe is synchronous on Linux, so
 * a line written before the kill is never lost. It runs until it is killed.
 *   node --import tsx test/support/ledger-child.ts   (env: DATABASE_URL, FAN, CREATOR)
 */
import { createPgDatabase } from '../../server/src/db/pg.js';
import { createLogger } from '../../server/src/logger.js';
import { LedgerService } from '../../server/src/modules/ledger/ledger.service.js';
import { LedgerStore } from '../../server/src/modules/ledger/ledger.store.js';

const env = process.env;
const logger = createLogger({ level: 'silent', nodeId: 'ledger-child' });
const db = createPgDatabase({ url: env.DATABASE_URL!, poolSize: 8, logger });
const ledger = new LedgerService({
  db,
  store: new LedgerStore(db),
  realtime: { toUser: () => undefined, toUsers: () => undefined, endSession: () => undefined },
  logger,
  options: { feeBps: 2000, shards: 16 },
});
const spend = (key: string) => ({ key, fromUserId: env.FAN!, toUserId: env.CREATOR!, amount: 10, kind: 'kill_test' });

async function singles(w: number): Promise<never> {
  for (let i = 0; ; i++) {
    await ledger.spend(spend(`kill:${w}:${i}`));
    process.stdout.write(`ok kill:${w}:${i}\n`);
  }
}

async function bulk(w: number): Promise<never> {
  for (let i = 0; ; i++) {
    const keys = Array.from({ length: 5 }, (_, j) => `many:${w}:${i}:${j}`);
    const out = await ledger.spendMany(keys.map(spend));
    out.forEach((o, j) => {
      if (o.ok) process.stdout.write(`ok ${keys[j]}\n`);
      else process.stdout.write(`refused ${keys[j]} ${o.error.message}\n`);
    });
  }
}

const workers = Number(env.WORKERS ?? 6);
const bulkWorkers = Number(env.BULK ?? 2);
process.stdout.write('ready\n');
await Promise.all([...Array.from({ length: workers }, (_, w) => singles(w)), ...Array.from({ length: bulkWorkers }, (_, w) => bulk(w))]).catch((err) => {
  process.stdout.write(`failed ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
