import { mountedAt } from '../../http/route-docs.js';
import { Router } from 'express';
import type { WriteBatchObserver } from '../../batcher.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import { ledgerJobs } from './ledger.jobs.js';
import { walletRoutes, walletRouteDocs } from './ledger.routes.js';
import { LedgerService } from './ledger.service.js';
import { LedgerStore } from './ledger.store.js';

export function ledgerModule(d: { config: Config; db: Database; realtime: Realtime; logger: Logger; observeBatch?: WriteBatchObserver }) {
  const store = new LedgerStore(d.db);
  const service = new LedgerService({ db: d.db, store, realtime: d.realtime, logger: d.logger, options: d.config.ledger, observeBatch: d.observeBatch });
  return {
    name: 'ledger',
    service,
    store,
    routes: (guards) => Router().use('/wallet', walletRoutes(guards, service)),
    docs: mountedAt('/api/wallet', walletRouteDocs, 'wallet'),
    jobs: ledgerJobs(service, store, d.logger),
    schedules: [
      { name: 'ledger.expire-holds', payload: {}, everyMs: d.config.ledger.holdSweepSeconds * 1000 },
      { name: 'ledger.verify', payload: {}, everyMs: d.config.ledger.verifySeconds * 1000 },
    ],
  } satisfies ModuleWithServices;
}
