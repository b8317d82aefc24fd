import type { Notify } from '../notifications/notifications.service.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { TextPolicy } from '../moderation/moderation.service.js';
import { mountedAt } from '../../http/route-docs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { creatorsJobs } from './creators.jobs.js';
import { creatorsRouteDocs, creatorsRoutes } from './creators.routes.js';
import { CreatorsService, type PhotosOf } from './creators.service.js';
import { CreatorsStore } from './creators.store.js';
import { SubscriptionsService, type TipTargets } from './subscriptions.service.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

/**
 * The creator economy's first half (issue #12): pages, tiers, follows, subscriptions and their renewals
 * (the creators.renew schedule), free-trial links and tips. Publishes creator_audience (posts, chat) and
 * creator_policies (chat's message policy, match's opt-out) in server/sql/creators/.
 */
export function creatorsModule(d: {
  config: Config;
  db: Database;
  ledger: Pick<LedgerService, 'spend' | 'spendMany' | 'notify' | 'refundSpend' | 'balances'>;
  realtime: Realtime;
  logger: Logger;
  photos: PhotosOf;
  /** A fan newly follows or subscribes (posts backfills their feed; bound late). Best effort: a failure is logged. */
  joined?: (fanId: string, creatorId: string) => Promise<unknown>;
  tipTargets: TipTargets;
  /** Refuses a creator who may not sell yet (verification's; bound late). */
  paidContent?: (creatorId: string) => Promise<void>;
  text: TextPolicy;
  notify: Notify;
  events?: EventRecorder;
}) {
  const config = d.config.creators;
  const store = new CreatorsStore(d.db, (userId) => d.db.reader(userId));
  const joined = (fanId: string, creatorId: string) =>
    void d.joined?.(fanId, creatorId).catch((err: unknown) => d.logger.warn({ err, fanId, creatorId }, 'feed backfill after a follow failed'));
  const service = new CreatorsService({ db: d.db, store, realtime: d.realtime, config, photos: d.photos, joined, paidContent: d.paidContent, text: d.text });
  const subscriptions = new SubscriptionsService({
    db: d.db,
    store,
    ledger: d.ledger,
    realtime: d.realtime,
    config,
    logger: d.logger,
    pageByHandle: (handle) => service.pageByHandle(handle),
    joined,
    tipTargets: d.tipTargets,
    notify: d.notify,
    events: d.events,
  });
  return {
    name: 'creators',
    service,
    subscriptions,
    routes: (guards) => creatorsRoutes(guards, service, subscriptions),
    docs: mountedAt('/api', creatorsRouteDocs, 'creators'),
    jobs: creatorsJobs({ subs: subscriptions, logger: d.logger }),
    schedules: [{ name: 'creators.renew', payload: {}, everyMs: config.renewSeconds * 1000 }],
  } satisfies ModuleWithServices;
}
