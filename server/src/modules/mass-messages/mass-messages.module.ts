import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { TextPolicy } from '../moderation/moderation.service.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatService } from '../chat/chat.service.js';
import type { NotifyEach } from '../notifications/notifications.service.js';
import type { MediaService } from '../media/media.service.js';
import { massMessagesJobs } from './mass-messages.jobs.js';
import { massMessagesRouteDocs, massMessagesRoutes } from './mass-messages.routes.js';
import { MassMessagesService } from './mass-messages.service.js';
import { MassMessagesStore } from './mass-messages.store.js';

/**
 * Mass messages: a creator's one message to a part of their audience, delivered by a job in throttled
 * batches as ordinary chat messages (chat writes the copies). Reads creators' creator_mass_audience_after
 * for who, safety's blocked_peers for who not, chat's message_states and the ledger's ledger_posted_sum
 * for the stats.
 */
export function massMessagesModule(d: {
  config: Config;
  db: Database;
  chat: Pick<ChatService, 'deliverManyIn' | 'pushDelivered'>;
  media: Pick<MediaService, 'requireOwned'>;
  realtime: Realtime;
  jobs: JobQueue;
  logger: Logger;
  paidContent?: (creatorId: string) => Promise<void>;
  text: TextPolicy;
  notify?: NotifyEach;
}) {
  const store = new MassMessagesStore(d.db);
  const service = new MassMessagesService({
    db: d.db,
    store,
    chat: d.chat,
    media: d.media,
    realtime: d.realtime,
    jobs: d.jobs,
    logger: d.logger,
    config: d.config.massMessages,
    paidContent: d.paidContent,
    text: d.text,
    notify: d.notify,
  });
  return {
    name: 'mass-messages',
    service,
    routes: (guards) => massMessagesRoutes(guards, service),
    docs: mountedAt('/api', massMessagesRouteDocs, 'mass-messages'),
    jobs: massMessagesJobs(service),
    schedules: [{ name: 'mass-messages.sweep', payload: {}, everyMs: d.config.massMessages.sweepSeconds * 1000 }],
  } satisfies ModuleWithServices;
}
