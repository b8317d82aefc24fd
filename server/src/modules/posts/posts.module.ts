import type { NotifyMany } from '../notifications/notifications.service.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { TextPolicy } from '../moderation/moderation.service.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { MediaService } from '../media/media.service.js';
import { FeedService } from './posts.feed.js';
import { postsJobs } from './posts.jobs.js';
import { postsRouteDocs, postsRoutes } from './posts.routes.js';
import { PostsService } from './posts.service.js';
import { PostsStore } from './posts.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

/**
 * Creators' posts and the feed (issue #12): posts with media and visibility, pay-per-view unlocks, likes,
 * comments, bookmarks; fan-out on write for most creators, merge on read for big ones. Reads creators'
 * creator_audience view for who follows and subscribes; lends media its post_media read rule.
 */
export function postsModule(d: {
  config: Config;
  db: Database;
  ledger: Pick<LedgerService, 'spend' | 'notify'>;
  media: Pick<MediaService, 'requireOwned' | 'grantedViews'>;
  jobs: JobQueue;
  logger: Logger;
  /** Refuses a creator who may not sell yet (verification's; bound late). */
  paidContent?: (creatorId: string) => Promise<void>;
  text: TextPolicy;
  notify: NotifyMany;
  events?: EventRecorder;
}) {
  const store = new PostsStore(d.db);
  const feed = new FeedService({ store, media: d.media, jobs: d.jobs, logger: d.logger, config: d.config.feed, notify: d.notify });
  const service = new PostsService({ db: d.db, store, ledger: d.ledger, media: d.media, scheduleFanout: (id, at) => feed.scheduleFanout(id, at), paidContent: d.paidContent, text: d.text, events: d.events });
  return {
    name: 'posts',
    service,
    feed,
    routes: (guards) => postsRoutes(guards, service, feed),
    docs: mountedAt('/api', postsRouteDocs, 'posts'),
    jobs: postsJobs(feed),
    schedules: [{ name: 'posts.fanout-sweep', payload: {}, everyMs: d.config.feed.sweepSeconds * 1000 }],
  } satisfies ModuleWithServices;
}
