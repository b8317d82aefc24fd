import { Router } from 'express';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { ModuleWithServices } from '../../module.js';
import { earningsRouteDocs, earningsRoutes } from './earnings.routes.js';
import { EarningsService, type EarningsOptions } from './earnings.service.js';
import { EarningsStore } from './earnings.store.js';

/** Creators' earnings read from the ledger's published view; it owns no table and moves no money. */
export function earningsModule(d: { db: Database; options: EarningsOptions }) {
  const service = new EarningsService({ store: new EarningsStore(d.db), options: d.options });
  return {
    name: 'earnings',
    service,
    routes: (guards) => Router().use('/earnings', earningsRoutes(guards, service)),
    docs: mountedAt('/api/earnings', earningsRouteDocs, 'earnings'),
  } satisfies ModuleWithServices;
}
