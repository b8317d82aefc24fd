import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Realtime } from '../../realtime/realtime.js';
import { PresenceService, type PresenceAudience } from './presence.service.js';
import type { PresenceStore } from './presence.store.js';

export function presenceModule(d: {
  config: Config;
  db: Database;
  /** The deployment's presence driver (drivers.ts). */
  store: PresenceStore;
  realtime: Realtime;
  logger: Logger;
  /** Other per-node state to clean up when a node is found dead (the match queue). */
  onNodeReaped: (nodeId: string) => Promise<void>;
  /** Redis lost this node's entries and they were written back (the match queue is rebuilt then). */
  onRebuilt?: () => Promise<void>;
  /** Who hears of whose presence: chat's rule (peers one wrote to, mutual likes, open match sessions; never across a block). */
  audience: PresenceAudience;
  /** Users own last-seen. */
  setLastSeen: (userId: string, at: Date) => Promise<void>;
}) {
  const { config, logger } = d;
  const service = new PresenceService({
    store: d.store,
    audience: d.audience,
    setLastSeen: d.setLastSeen,
    realtime: d.realtime,
    logger,
    nodeId: config.nodeId,
    ttlSeconds: config.chat.presenceTtlSeconds,
    heartbeatMs: config.presenceHeartbeatMs,
    onNodeReaped: d.onNodeReaped,
    onRebuilt: d.onRebuilt,
  });
  return {
    name: 'presence',
    service,
    events: () => ({
      connected: (s) => void service.connected(s.data.userId, s.id).catch((err) => logger.warn({ err }, 'presence connect failed')),
      disconnected: (s) => void service.disconnected(s.data.userId, s.id).catch((err) => logger.warn({ err }, 'presence disconnect failed')),
    }),
    start: () => service.start(),
    stop: () => service.stop(),
  } satisfies ModuleWithServices;
}
