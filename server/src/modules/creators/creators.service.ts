import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { TextPolicy } from '../moderation/moderation.service.js';
import type { CreatorCard, CreatorPageView, TierView, TrialLinkView, creatorsQuery, pageBody, tierBody, tierUpdateBody, trialBody } from '../../../../shared/creators.js';
import type { MediaView } from '../../../../shared/media.js';
import { SEARCH_MAX_OFFSET } from '../../../../shared/input.js';
import type { CreatorsConfig } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { Viewer } from '../media/media.views.js';
import { isHandleTaken, type CreatorsStore, type PageRow } from './creators.store.js';
import { decodeCursor, encodeCursor, toSubscriptionView, toTierView, toTrialLinkView } from './creators.views.js';

/** Profiles' pictures of users as a viewer sees them (avatar and cover). */
export type PhotosOf = (viewer: Viewer, userIds: string[]) => Promise<Map<string, { avatar: MediaView | null; cover: MediaView | null }>>;

/**
 * Creator pages, their tiers and trial links, follows, and the listing.
 * Subscriptions, renewals, trial claims and tips are SubscriptionsService's.
 */
export class CreatorsService {
  constructor(
    private readonly d: {
      db: Database;
      store: CreatorsStore;
      realtime: Realtime;
      config: CreatorsConfig;
      photos: PhotosOf;
      /** A fan newly follows or subscribes (the feed's backfill); never throws. */
      joined?: (fanId: string, creatorId: string) => void;
      /** Refuses a creator who may not sell yet (verification's hook, bound late): VERIFICATION_REQUIRED. */
      paidContent?: (creatorId: string) => Promise<void>;
      /** Trust and safety's text step: a bio with profanity is refused. */
      text: TextPolicy;
    },
  ) {}

  /** Creates the caller's page, or changes it (the handle may change; a taken one is HANDLE_TAKEN). Creators only. */
  async putPage(viewer: Viewer, b: z.output<typeof pageBody>): Promise<CreatorPageView> {
    if (viewer.role !== 'creator') throw new AppError('FORBIDDEN', 'only creators have a creator page');
    try {
      await this.d.store.upsertPage(this.d.db, viewer.userId, {
        handle: b.handle,
        bio: this.d.text.bio(b.bio ?? null),
        links: b.links ?? null,
        tags: b.tags ? [...new Set(b.tags)] : null,
        messagePolicy: b.messagePolicy ?? null,
        randomMatches: b.randomMatches ?? null,
      });
    } catch (err) {
      if (isHandleTaken(err)) throw new AppError('HANDLE_TAKEN', 'this handle is taken');
      throw err;
    }
    return this.viewOf(viewer, (await this.d.store.pageOf(viewer.userId))!);
  }

  async myPage(viewer: Viewer): Promise<CreatorPageView> {
    const page = await this.d.store.pageOf(viewer.userId);
    if (!page) throw new AppError('NOT_FOUND', 'you have no creator page yet');
    return this.viewOf(viewer, page);
  }

  async page(viewer: Viewer, handle: string): Promise<CreatorPageView> {
    return this.viewOf(viewer, await this.pageByHandle(handle));
  }

  async pageByHandle(handle: string): Promise<PageRow> {
    const page = await this.d.store.pageByHandle(handle);
    if (!page) throw new AppError('NOT_FOUND', 'no such creator');
    return page;
  }

  private async viewOf(viewer: Viewer, p: PageRow): Promise<CreatorPageView> {
    const own = viewer.userId === p.user_id;
    const [tiers, photos, follows, sub] = await Promise.all([
      this.d.store.tiers(p.user_id, own),
      this.d.photos(viewer, [p.user_id]),
      this.d.store.follows(viewer.userId, p.user_id),
      this.d.store.ofFanAndCreator(viewer.userId, p.user_id),
    ]);
    const pics = photos.get(p.user_id);
    return {
      ...this.card(p, pics?.avatar ?? null),
      bio: p.bio,
      links: p.links,
      cover: pics?.cover ?? null,
      messagePolicy: p.message_policy,
      randomMatches: p.random_matches,
      tiers: tiers.map((t) => toTierView(viewer.role, t)),
      viewer: { follows, subscription: sub ? toSubscriptionView(sub) : null },
      tipLimits: { min: this.d.config.tip.min, max: this.d.config.tip.max },
    };
  }

  private card(p: PageRow, avatar: MediaView | null): CreatorCard {
    return {
      userId: p.user_id,
      handle: p.handle,
      displayName: p.display_name,
      tags: p.tags,
      followerCount: p.follower_count,
      subscriberCount: p.subscriber_count,
      lowestPrice: p.lowest_price,
      hasFreeTrial: p.has_free_trial,
      avatar,
      createdAt: p.created_at.toISOString(),
    };
  }

  /**
   * The listing: filters, then popular (subscribers, followers) or new, keyset-paged on the sort key and the
   * id; with a search text only its matches, and by default the best match first (offset-paged).
   */
  async list(viewer: Viewer, q: z.output<typeof creatorsQuery>): Promise<{ creators: CreatorCard[]; nextCursor: string | null }> {
    const filters = { tags: q.tags?.length ? q.tags : null, minPrice: q.minPrice ?? null, maxPrice: q.maxPrice ?? null, freeTrial: q.freeTrial ?? null };
    let rows: PageRow[];
    let next: (string | number)[] | null = null;
    if (q.sort === 'relevance') {
      const [, offset] = q.cursor ? decodeCursor(q.cursor, 'offset') : ['offset', 0];
      rows = await this.d.store.search({ ...filters, text: q.q!, offset, limit: q.limit });
      if (rows.length === q.limit && offset + q.limit < SEARCH_MAX_OFFSET) next = ['offset', offset + q.limit];
    } else {
      const after = q.cursor ? (q.sort === 'popular' ? decodeCursor(q.cursor, 'popular') : decodeCursor(q.cursor, 'time')) : null;
      rows = await this.d.store.list({ ...filters, text: q.q ?? null, sort: q.sort, after, limit: q.limit });
      const last = rows.at(-1);
      if (rows.length === q.limit && last) next = q.sort === 'popular' ? [last.subscriber_count, last.follower_count, last.user_id] : [last.created_key, last.user_id];
    }
    const photos = await this.d.photos(viewer, rows.map((r) => r.user_id));
    return { creators: rows.map((r) => this.card(r, photos.get(r.user_id)?.avatar ?? null)), nextCursor: next ? encodeCursor(next) : null };
  }

  async follow(fanId: string, handle: string): Promise<{ follows: true; followerCount: number }> {
    const page = await this.pageByHandle(handle);
    if (page.user_id === fanId) throw new AppError('VALIDATION_FAILED', 'you cannot follow yourself');
    if (await this.d.store.follow(this.d.db, fanId, page.user_id)) this.d.joined?.(fanId, page.user_id);
    return { follows: true, followerCount: (await this.d.store.pageOf(page.user_id))!.follower_count };
  }

  async unfollow(fanId: string, handle: string): Promise<{ follows: false; followerCount: number }> {
    const page = await this.pageByHandle(handle);
    await this.d.store.unfollow(this.d.db, fanId, page.user_id);
    return { follows: false, followerCount: (await this.d.store.pageOf(page.user_id))!.follower_count };
  }

  async createTier(viewer: Viewer, b: z.output<typeof tierBody>): Promise<TierView> {
    if (b.price > 0) await this.d.paidContent?.(viewer.userId);
    const id = randomUUID();
    await this.d.db.transaction(async (tx) => {
      if (!(await this.d.store.lockPage(tx, viewer.userId))) throw new AppError('NOT_FOUND', 'create your creator page first');
      const live = await this.d.store.tiers(viewer.userId, false, tx);
      if (live.length >= this.d.config.maxTiers) {
        throw new AppError('TIER_LIMIT_REACHED', `a creator has at most ${this.d.config.maxTiers} tiers; archive one first`, { details: { max: this.d.config.maxTiers } });
      }
      await this.d.store.insertTier(tx, {
        id,
        creatorId: viewer.userId,
        name: b.name,
        description: b.description ?? '',
        price: b.price,
        d3: b.discounts?.[3] ?? 0,
        d6: b.discounts?.[6] ?? 0,
        d12: b.discounts?.[12] ?? 0,
      });
    });
    return toTierView(viewer.role, (await this.d.store.tier(this.d.db, id))!);
  }

  /**
   * Changes a tier. A lower price applies at once, to new subscribers and renewals alike. A higher one is
   * announced: new subscribers pay the current price until price_next_at, and renewals pay the new one only
   * from CREATOR_PRICE_NOTICE_DAYS after the announcement; its subscribers are told now. A smaller bundle
   * discount would raise renewals without notice, so it is refused (archive the tier and make a new one).
   */
  async updateTier(viewer: Viewer, tierId: string, b: z.output<typeof tierUpdateBody>): Promise<TierView> {
    if ((b.price ?? 0) > 0) await this.d.paidContent?.(viewer.userId);
    const announced = await this.d.db.transaction(async (tx) => {
      await this.d.store.lockPage(tx, viewer.userId);
      const t = await this.d.store.tier(tx, tierId);
      if (!t || t.creator_id !== viewer.userId || t.archived_at) throw new AppError('NOT_FOUND', 'no such tier');
      const d3 = b.discounts?.[3] ?? t.discount_3;
      const d6 = b.discounts?.[6] ?? t.discount_6;
      const d12 = b.discounts?.[12] ?? t.discount_12;
      if (d3 < t.discount_3 || d6 < t.discount_6 || d12 < t.discount_12) {
        throw new AppError('VALIDATION_FAILED', 'a bundle discount can only grow (a smaller one would raise renewals without notice)');
      }
      let price = t.price_now;
      let priceNext: number | null = t.price_next_at && t.price_next_at.getTime() > Date.now() ? t.price_next : null;
      let priceNextAt: Date | null = priceNext === null ? null : t.price_next_at;
      let announce: { price: number; at: Date; tierName: string } | null = null;
      if (b.price !== undefined && b.price !== (priceNext ?? price)) {
        if (b.price <= price) {
          // Cheaper (or back to the current price): at once, and any announced rise is withdrawn.
          price = b.price;
          priceNext = priceNextAt = null;
        } else {
          priceNext = b.price;
          priceNextAt = new Date(Date.now() + this.d.config.priceNoticeDays * 86_400_000);
          announce = { price: b.price, at: priceNextAt, tierName: b.name ?? t.name };
        }
      }
      await this.d.store.updateTier(tx, tierId, { name: b.name ?? t.name, description: b.description ?? t.description, price, priceNext, priceNextAt, d3, d6, d12 });
      return announce;
    });
    if (announced) {
      const fans = await this.d.store.subscribersOfTier(tierId);
      const page = fans.length ? await this.d.store.pageOf(viewer.userId) : undefined;
      if (page) {
        this.d.realtime.toUsers(fans, 'subscription:price_changed', {
          creatorId: viewer.userId,
          creator: { id: viewer.userId, handle: page.handle, displayName: page.display_name },
          tierId,
          tierName: announced.tierName,
          price: announced.price,
          effectiveAt: announced.at.toISOString(),
        });
      }
    }
    return toTierView(viewer.role, (await this.d.store.tier(this.d.db, tierId))!);
  }

  /** Archived: no new subscribers or trial links; its subscribers keep renewing at it until they cancel or change tier. */
  async archiveTier(viewer: Viewer, tierId: string): Promise<TierView> {
    const t = await this.d.store.tier(this.d.db, tierId);
    if (!t || t.creator_id !== viewer.userId) throw new AppError('NOT_FOUND', 'no such tier');
    await this.d.store.archiveTier(this.d.db, tierId);
    return toTierView(viewer.role, (await this.d.store.tier(this.d.db, tierId))!);
  }

  async createTrialLink(viewer: Viewer, b: z.output<typeof trialBody>): Promise<TrialLinkView> {
    return this.d.db.transaction(async (tx) => {
      if (!(await this.d.store.lockPage(tx, viewer.userId))) throw new AppError('NOT_FOUND', 'create your creator page first');
      const t = await this.d.store.tier(tx, b.tierId);
      if (!t || t.creator_id !== viewer.userId || t.archived_at) throw new AppError('NOT_FOUND', 'no such tier');
      const link = await this.d.store.insertTrialLink(tx, {
        id: randomUUID(),
        creatorId: viewer.userId,
        tierId: b.tierId,
        // 96 random bits: the code is the permission to claim.
        code: randomBytes(12).toString('base64url'),
        days: b.days,
        maxClaims: b.maxClaims,
        expiresAt: b.expiresAt,
      });
      return toTrialLinkView(link);
    });
  }

  async trialLinks(viewer: Viewer): Promise<TrialLinkView[]> {
    return (await this.d.store.trialLinks(viewer.userId)).map(toTrialLinkView);
  }

  async revokeTrialLink(viewer: Viewer, id: string): Promise<TrialLinkView> {
    const link = await this.d.store.revokeTrialLink(viewer.userId, id);
    if (!link) throw new AppError('NOT_FOUND', 'no such trial link');
    return toTrialLinkView(link);
  }
}
