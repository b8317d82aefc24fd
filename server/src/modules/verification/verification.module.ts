import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MediaService } from '../media/media.service.js';
import type { UsersStore } from '../users/users.store.js';
import { adminVerificationRouteDocs, adminVerificationRoutes, verificationRouteDocs, verificationRoutes } from './verification.routes.js';
import { VerificationService } from './verification.service.js';
import { VerificationStore } from './verification.store.js';

/**
 * Creator verification (issue #13): submissions, the admin queue and decisions. Publishes `isVerified`
 * (and the verified_creators view in server/sql/verification/) for payouts, and `requirePaidContentAllowed`,
 * the hook the selling modules call (CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION).
 */
export function verificationModule(d: {
  config: Config;
  db: Database;
  media: Pick<MediaService, 'requireOwned' | 'get'>;
  users: Pick<UsersStore, 'findById'>;
  audit: Pick<AuditService, 'recordIn'>;
  realtime: Realtime;
}) {
  const store = new VerificationStore(d.db);
  const service = new VerificationService({
    db: d.db,
    store,
    media: d.media,
    users: d.users,
    audit: d.audit,
    realtime: d.realtime,
    paidContentRequiresVerification: d.config.verification.paidContentRequiresVerification,
  });
  return {
    name: 'verification',
    service,
    routes: (guards) =>
      Router()
        .use('/verification', verificationRoutes(guards, service))
        .use('/admin/verifications', adminVerificationRoutes(guards, service)),
    docs: [...mountedAt('/api/verification', verificationRouteDocs, 'verification'), ...mountedAt('/api/admin/verifications', adminVerificationRouteDocs, 'admin')],
  } satisfies ModuleWithServices;
}
