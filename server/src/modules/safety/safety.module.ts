import { mountedAt } from '../../http/route-docs.js';
import type { Database } from '../../db/database.js';
import type { ModuleWithServices } from '../../module.js';
import { safetyRoutes, safetyRouteDocs } from './safety.routes.js';
import { SafetyStore } from './safety.store.js';

export function safetyModule(d: { db: Database }) {
  const store = new SafetyStore(d.db);
  return { name: 'safety', store, routes: (guards) => safetyRoutes(guards, store), docs: mountedAt('/api', safetyRouteDocs, 'safety') } satisfies ModuleWithServices;
}
