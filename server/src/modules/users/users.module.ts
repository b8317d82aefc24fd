import { mountedAt } from '../../http/route-docs.js';
import { Router } from 'express';
import type { Database } from '../../db/database.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import { meRoutes, meRouteDocs } from './users.routes.js';
import { UsersService } from './users.service.js';
import { UsersStore } from './users.store.js';

export function usersModule(d: { db: Database; realtime: Realtime; audit: AuditService; paidContent?: (creatorId: string) => Promise<void> }) {
  const store = new UsersStore(d.db);
  const service = new UsersService(store, d.realtime, d.audit, d.paidContent);
  return { name: 'users', store, service, routes: (guards) => Router().use('/me', meRoutes(guards, service)), docs: mountedAt('/api/me', meRouteDocs, 'users') } satisfies ModuleWithServices;
}
