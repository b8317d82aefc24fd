import { bundlePrice } from '../../../../shared/creators.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { CreatorsStore } from '../../modules/creators/creators.store.js';
import { SubscriptionsService } from '../../modules/creators/subscriptions.service.js';
import { LedgerService } from '../../modules/ledger/ledger.service.js';
import { LedgerStore } from '../../modules/ledger/ledger.store.js';
import type { Realtime } from '../../realtime/realtime.js';
import { SeedStore } from './seed.store.js';
import { seedId, type SeedProgress } from './seed.js';

/** Nobody is connected to a seed: pushes go nowhere. */
const silent: Realtime = { toUser: () => undefined, toUsers: () => undefined, endSession: () => undefined };

/**
 * Paid subscriptions the only way money moves: fan i (i < count) is granted exactly one period's price by
 * LedgerService.adjust (key seed-grant:<fan>, as an admin's grant would be, so a re-run grants nothing more),
 * then subscribes for one period to the lowest tier of the first creator they follow through
 * SubscriptionsService.subscribe at the price shown (a re-run is its replay, charging nothing). The ledger
 * stays balanced and verifiable; no row of it is written by SQL.
 */
export async function seedSubscriptions(
  db: Database,
  o: { count: number; users: number; config: Config; logger: Logger },
  progress: SeedProgress,
): Promise<{ subscriptions: number }> {
  const ledger = new LedgerService({ db, store: new LedgerStore(db), realtime: silent, logger: o.logger, options: o.config.ledger });
  const creators = new CreatorsStore(db);
  const subs = new SubscriptionsService({
    db,
    store: creators,
    ledger,
    realtime: silent,
    config: o.config.creators,
    logger: o.logger,
    pageByHandle: async (handle) => {
      const page = await creators.pageByHandle(handle);
      if (!page) throw new AppError('NOT_FOUND', `no creator page ${handle}`);
      return page;
    },
    tipTargets: { post: async () => undefined, message: async () => undefined },
  });
  const seeds = new SeedStore(db);
  const total = Math.min(o.count, o.users);
  let made = 0;
  for (let i = 0; i < total; i++) {
    const fanId = seedId('fan', i);
    const target = await seeds.firstFollowedTier(fanId);
    if (!target) continue;
    // The price a fan would be shown for one period (the tier's current price; seeded tiers have no discounts).
    const tier = await creators.tier(db, target.tierId);
    if (!tier) continue;
    const price = bundlePrice(tier.price_now, 1, 0);
    await ledger.adjust({ key: `seed-grant:${fanId}`, userId: fanId, amount: price, reason: 'seed: one subscription period', adminId: 'seed' });
    const r = await subs.subscribe({ userId: fanId, role: 'fan' }, target.handle, { tierId: target.tierId, months: 1, expectedPrice: price });
    if (!r.replayed) made++;
    progress('subscriptions', i + 1, total);
  }
  return { subscriptions: made };
}
