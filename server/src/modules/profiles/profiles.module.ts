import type { Notify } from '../notifications/notifications.service.js';
import { mountedAt } from '../../http/route-docs.js';
import { createHmac } from 'node:crypto';
import type { TextPolicy } from '../moderation/moderation.service.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatService } from '../chat/chat.service.js';
import type { MediaService } from '../media/media.service.js';
import type { SafetyStore } from '../safety/safety.store.js';
import { profilesRoutes, profilesRouteDocs } from './profiles.routes.js';
import { ProfilesService } from './profiles.service.js';
import { ProfilesStore } from './profiles.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

export function profilesModule(d: { config: Config; jwtSecret: string; db: Database; chat: Pick<ChatService, 'openMatchedIn' | 'closeIn' | 'mayStart'>; media: Pick<MediaService, 'requireOwned' | 'publicViews'>; safety: SafetyStore; realtime: Realtime; limiter: LimiterFactory; text: TextPolicy; notify: Notify; events?: EventRecorder }) {
  const service = new ProfilesService({
    db: d.db,
    // Derived like the other keys from the JWT secret, so every node places everyone alike.
    store: new ProfilesStore(d.db, createHmac('sha256', d.jwtSecret).update('pairly-location-fuzz').digest(), (userId) => d.db.reader(userId)),
    chat: d.chat,
    media: d.media,
    safety: d.safety,
    realtime: d.realtime,
    locationChanges: d.limiter({ keyPrefix: 'location', points: d.config.profiles.locationChangesPerDay, durationSeconds: 86_400 }),
    text: d.text,
    notify: d.notify,
    events: d.events,
  });
  return { name: 'profiles', service, routes: (guards) => profilesRoutes(guards, service), docs: mountedAt('/api', profilesRouteDocs, 'profiles') } satisfies ModuleWithServices;
}
