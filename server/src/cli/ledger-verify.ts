import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../drivers.js';
import { DataDirInUseError, lockDataDir } from '../lockfile.js';
import { createLogger } from '../logger.js';
import { LedgerStore } from '../modules/ledger/ledger.store.js';
import { verifyLedger, type VerifyReport } from '../modules/ledger/ledger.verify.js';
import { askRunningServer, CliError } from './control-client.js';

/**
 * `npm run ledger:verify`: walks every hash chain and re-adds every balance.
 * Prints the findings (transfer ids, account codes) and exits 1 when the
 * ledger does not verify. In embedded mode, while a server holds the data
 * dir, that server runs the check (asked on loopback, as admin:create does).
 */
async function main(): Promise<void> {
  // One short-lived process touching only the database: the several-nodes-without-Redis refusal is not about it.
  const config = loadConfig({ ...process.env, ALLOW_SINGLE_NODE_POSTGRES: 'true' });
  const report = await verify(config);
  console.log(JSON.stringify(report, null, 2));
  if (!report.ok) {
    for (const t of report.brokenTransfers) console.error(`transfer ${t.id} (chain ${t.shard}, seq ${t.seq}): ${t.problem}`);
    for (const c of report.brokenChains) console.error(`chain ${c.shard}: ${c.problem}`);
    for (const a of report.balanceMismatches) {
      console.error(`account ${a.code} (id ${a.id}): posted ${a.posted}, transfers say ${a.expectedPosted}; held ${a.pendingDebits}, transfers say ${a.expectedPendingDebits}`);
    }
    if (report.totalPosted !== 0) console.error(`sum of all balances is ${report.totalPosted}, not 0`);
    process.exitCode = 1;
  }
}

async function verify(config: Config): Promise<VerifyReport> {
  let unlock: () => void = () => undefined;
  if (!config.databaseUrl) {
    try {
      unlock = lockDataDir(config.dataDir, 'ledger:verify');
    } catch (err) {
      if (!(err instanceof DataDirInUseError)) throw err;
      return askRunningServer<VerifyReport>(err, 'ledger:verify', '/_control/ledger-verify', { method: 'GET' });
    }
  }
  const db = await openDatabase(config, createLogger({ level: 'warn', nodeId: 'cli' }));
  try {
    return await verifyLedger(new LedgerStore(db));
  } finally {
    await db.close();
    unlock();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err instanceof CliError || err instanceof DataDirInUseError ? `ledger:verify: ${err.message}` : err);
  process.exit(2);
});
