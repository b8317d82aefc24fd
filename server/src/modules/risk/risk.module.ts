import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { UsersStore } from '../users/users.store.js';
import { GeoLocator } from './geo.js';
import { adminRiskRouteDocs, adminRiskRoutes, riskRouteDocs, riskRoutes } from './risk.routes.js';
import { RiskService, type PaymentHolds } from './risk.service.js';
import { RiskStore } from './risk.store.js';

/**
 * Risk scoring (issue #18): login and payment risk with their reasons, the
 * step-ups and holds they lead to, and the admin's view and decisions. Auth
 * and payments call its service; a held payment's credits are payments'
 * to grant (`holds`, bound late: payments is built on this module).
 */
export function riskModule(d: {
  config: Config;
  db: Database;
  users: Pick<UsersStore, 'findById' | 'summaries'>;
  mail: Pick<MailService, 'send' | 'link'>;
  audit: AuditService;
  logger: Logger;
  holds: () => PaymentHolds;
}) {
  const service = new RiskService({
    db: d.db,
    store: new RiskStore(d.db),
    geo: new GeoLocator(d.config.risk.geoip),
    users: d.users,
    mail: d.mail,
    audit: d.audit,
    logger: d.logger,
    options: d.config.risk,
    holds: d.holds,
  });
  return {
    name: 'risk',
    service,
    routes: (guards) => Router().use('/risk', riskRoutes(service)).use('/admin/risk', adminRiskRoutes(guards, service)),
    docs: [...mountedAt('/api/risk', riskRouteDocs, 'risk'), ...mountedAt('/api/admin/risk', adminRiskRouteDocs, 'admin')],
  } satisfies ModuleWithServices;
}
