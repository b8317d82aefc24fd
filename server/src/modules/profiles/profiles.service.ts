import type { Notify } from '../notifications/notifications.service.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { TextPolicy } from '../moderation/moderation.service.js';
import type { MediaView } from '../../../../shared/media.js';
import { DISTANCE_BAND_EDGES_KM, type DistanceBand, type LikeView, type MatchView, type PublicProfile, type WhoCanMessage } from '../../../../shared/profiles.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { rateLimited } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { ChatService } from '../chat/chat.service.js';
import type { MediaService } from '../media/media.service.js';
import type { Viewer } from '../media/media.views.js';
import type { SafetyStore } from '../safety/safety.store.js';
import { pricesFor } from '../../prices.js';
import { coarse, matchPercent } from './compatibility.js';
import type { DatingRow, DiscoverRow, ProfileRow, ProfilesStore } from './profiles.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

/** The pictures of a user as one viewer sees them. */
export interface Photos {
  photos: MediaView[];
  avatar: MediaView | null;
  cover: MediaView | null;
}
const NO_PHOTOS: Photos = { photos: [], avatar: null, cover: null };

/** `viewerRole`: who looks (the prices are what they would pay this user). */
export function toPublicProfile(p: ProfileRow | DiscoverRow, viewerRole: string, photos: Photos = NO_PHOTOS): PublicProfile {
  return {
    ...photos,
    userId: p.user_id,
    displayName: p.display_name,
    role: p.role,
    age: p.age,
    gender: p.gender,
    bio: p.bio,
    interests: p.interests,
    languages: p.languages,
    ...pricesFor(viewerRole, p),
  };
}

/** What a discover page's nextCursor carries; the client hands it back opaque, so it is checked like any input. */
const cursorSchema = z.strictObject({ asOf: z.iso.datetime(), score: z.number().int(), id: z.uuid() });

function bandOf(i: number): DistanceBand {
  return { minKm: i === 0 ? 0 : DISTANCE_BAND_EDGES_KM[i - 1]!, maxKm: DISTANCE_BAND_EDGES_KM[i] ?? null };
}

const encode = (c: object) => Buffer.from(JSON.stringify(c)).toString('base64url');
/** A cursor the client hands back opaque: checked like any input. */
function decode<T>(schema: z.ZodType<T>, s: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    /* refused below */
  }
  const c = schema.safeParse(json);
  if (!c.success) throw new AppError('VALIDATION_FAILED', 'cursor is not valid');
  return c.data;
}

/** Where a page of matches or likes ended. */
const datingCursor = z.strictObject({ at: z.iso.datetime(), id: z.uuid() });

export class ProfilesService {
  constructor(
    private readonly d: {
      db: Database;
      store: ProfilesStore;
      /** Chat owns conversations: a mutual like opens one through it, in the like's transaction. */
      chat: Pick<ChatService, 'openMatchedIn' | 'closeIn' | 'mayStart'>;
      /** Photos are media items: checked on the way in, signed views on the way out. */
      media: Pick<MediaService, 'requireOwned' | 'publicViews'>;
      safety: SafetyStore;
      realtime: Realtime;
      /** Location changes per user (LOCATION_CHANGES_PER_DAY): moving around is how distances are triangulated. */
      locationChanges: RateLimiterAbstract;
      /** Trust and safety's text step: a bio with profanity is refused. */
      text: TextPolicy;
      /** A like (to its target) and a match (to both). */
      notify?: Notify;
      /** Product analytics events, recorded after the commit. */
      events?: EventRecorder;
    },
  ) {}

  /**
   * Users' photos, avatar and cover as `viewer` sees them, by user: others see ready items only (the owner also
   * those still processing or refused, to fix them). The avatar is the one set, else the first photo shown.
   * One read of the references and one of the media rows, whatever the number of users.
   */
  async photosOf(viewer: Viewer, userIds: string[]): Promise<Map<string, Photos>> {
    const refs = await this.d.store.photoRefs(userIds);
    const views = await this.d.media.publicViews(viewer, [...refs.values()].flatMap((r) => [...r.photos, ...(r.avatar ? [r.avatar] : []), ...(r.cover ? [r.cover] : [])]));
    const shown = (id: string | null) => (id ? views.get(id) : undefined);
    const servable = (m: MediaView | undefined): m is MediaView => m?.state === 'ready';
    return new Map(
      [...refs].map(([userId, r]) => {
        const photos = r.photos.map(shown).filter((m): m is MediaView => m !== undefined);
        const avatar = [shown(r.avatar), ...photos].find(servable) ?? null;
        return [userId, { photos, avatar, cover: shown(r.cover) ?? null }];
      }),
    );
  }

  /** What stands for each user (avatar, else first ready photo), for lists and match cards. */
  async avatarsOf(viewer: Viewer, userIds: string[]): Promise<Map<string, MediaView | null>> {
    const photos = await this.photosOf(viewer, userIds);
    return new Map(userIds.map((id) => [id, photos.get(id)?.avatar ?? null]));
  }

  /**
   * Sets the caller's photo list (ordered, the first primary), avatar and cover. Each item must be theirs, of the
   * right kind, and uploaded (processing or ready): one being processed shows to others once it is ready.
   */
  async setPhotos(userId: string, b: { photos?: string[]; avatar?: string | null; cover?: string | null }) {
    const check = (id: string, kind: 'profile_photo' | 'avatar' | 'cover') => this.d.media.requireOwned(userId, id, [kind], ['pending', 'ready']);
    for (const id of b.photos ?? []) await check(id, 'profile_photo');
    if (b.avatar) await check(b.avatar, 'avatar');
    if (b.cover) await check(b.cover, 'cover');
    await this.d.db.transaction(async (tx) => {
      await this.d.store.upsert(
        userId,
        { ...(b.avatar !== undefined ? { avatar_media_id: b.avatar } : {}), ...(b.cover !== undefined ? { cover_media_id: b.cover } : {}) },
        tx,
      );
      if (b.photos) await this.d.store.replacePhotos(tx, userId, b.photos);
    });
    return this.mine(userId);
  }

  /** An erased account's profile goes (its pictures' files go with the account's media). */
  erase(userId: string): Promise<void> {
    return this.d.store.erase(userId);
  }

  /** The owner's view: everything, with the stored (already coarse) location. */
  async mine(userId: string) {
    const p = await this.d.store.get(userId);
    if (!p) throw new AppError('NOT_FOUND', 'no such user');
    const photos = (await this.photosOf({ userId, role: p.role as Viewer['role'] }, [userId])).get(userId);
    return {
      // The owner sees what fans pay them.
      ...toPublicProfile(p, 'fan', photos),
      location: p.lat === null || p.lng === null ? null : { lat: p.lat, lng: p.lng },
      preferences: { seeksGenders: p.seeks_genders, ageMin: p.age_min, ageMax: p.age_max, maxDistanceKm: p.max_distance_km, whoCanMessage: p.who_can_message },
    };
  }

  async update(userId: string, b: { bio?: string; gender?: string | null; interests?: string[]; languages?: string[]; location?: { lat: number; lng: number } | null }) {
    if (b.location) {
      // Only a move to another stored cell counts; sending the same place again (as apps do on start) is free.
      const current = await this.d.store.get(userId);
      if (current?.lat !== coarse(b.location.lat) || current?.lng !== coarse(b.location.lng)) {
        await this.d.locationChanges.consume(userId).catch((err) => {
          throw rateLimited(err, 'you have changed your location too often; try again later');
        });
      }
    }
    await this.d.store.upsert(userId, {
      ...(b.bio !== undefined ? { bio: this.d.text.bio(b.bio) } : {}),
      ...(b.gender !== undefined ? { gender: b.gender } : {}),
      ...(b.interests !== undefined ? { interests: [...new Set(b.interests)] } : {}),
      ...(b.languages !== undefined ? { languages: [...new Set(b.languages)] } : {}),
      ...(b.location !== undefined ? { lat: b.location ? coarse(b.location.lat) : null, lng: b.location ? coarse(b.location.lng) : null } : {}),
    });
    return this.mine(userId);
  }

  async setPreferences(userId: string, b: { whoCanMessage?: WhoCanMessage; seeksGenders?: string[]; ageMin?: number; ageMax?: number; maxDistanceKm?: number | null }) {
    const current = await this.mine(userId);
    const ageMin = b.ageMin ?? current.preferences.ageMin;
    const ageMax = b.ageMax ?? current.preferences.ageMax;
    if (ageMin > ageMax) throw new AppError('VALIDATION_FAILED', 'ageMin must not exceed ageMax');
    await this.d.store.upsert(userId, {
      ...(b.whoCanMessage !== undefined ? { who_can_message: b.whoCanMessage } : {}),
      ...(b.seeksGenders !== undefined ? { seeks_genders: [...new Set(b.seeksGenders)] } : {}),
      age_min: ageMin,
      age_max: ageMax,
      ...(b.maxDistanceKm !== undefined ? { max_distance_km: b.maxDistanceKm } : {}),
    });
    return this.mine(userId);
  }

  /**
   * Another user's public profile; a block either way makes them invisible. `canMessage`: whether
   * the viewer may open a conversation with them or call them now (their consent rule).
   */
  async publicProfile(viewer: Viewer, userId: string): Promise<PublicProfile & { matchPercent: number | null; commonQuestions: number; canMessage: boolean }> {
    const viewerId = viewer.userId;
    const p = await this.d.store.get(userId);
    if (!p || (viewerId !== userId && (await this.d.safety.blockedEitherWay(viewerId, userId)))) throw new AppError('NOT_FOUND', 'no such user');
    const [c, photos, canMessage] = await Promise.all([
      this.compatibility(viewerId, userId),
      this.photosOf(viewer, [userId]),
      viewerId === userId ? false : this.d.chat.mayStart(viewerId, userId),
    ]);
    return { ...toPublicProfile(p, viewer.role, photos.get(userId)), matchPercent: c.percent, commonQuestions: c.common, canMessage };
  }

  /** The viewer's matches, newest first. */
  async matches(viewer: Viewer, cursor: string | undefined, limit: number): Promise<{ matches: MatchView[]; nextCursor: string | null }> {
    const rows = await this.d.store.matchesOf(viewer.userId, cursor ? decode(datingCursor, cursor) : undefined, limit);
    const page = await this.datingPage(viewer, rows, limit);
    return { matches: page.items.map(({ row, profile }) => ({ profile, conversationId: row.conversation_id, matchedAt: row.at.toISOString() })), nextCursor: page.nextCursor };
  }

  /** Who liked the viewer and waits for an answer ("who liked me"), newest first; a like or pass back takes them off. */
  async likes(viewer: Viewer, cursor: string | undefined, limit: number): Promise<{ likes: LikeView[]; nextCursor: string | null }> {
    const rows = await this.d.store.likesOf(viewer.userId, cursor ? decode(datingCursor, cursor) : undefined, limit);
    const page = await this.datingPage(viewer, rows, limit);
    return { likes: page.items.map(({ row, profile }) => ({ profile, likedAt: row.at.toISOString() })), nextCursor: page.nextCursor };
  }

  private async datingPage(viewer: Viewer, rows: DatingRow[], limit: number) {
    const photos = await this.photosOf(viewer, rows.map((r) => r.user_id));
    const last = rows.at(-1);
    return {
      items: rows.map((row) => ({ row, profile: toPublicProfile(row, viewer.role, photos.get(row.user_id)) })),
      nextCursor: rows.length === limit && last ? encode({ at: last.at.toISOString(), id: last.user_id }) : null,
    };
  }

  /**
   * Ends a match: the conversation it opened closes for both (a new match opens it again), and
   * both sides' devices hear `match:unmatched`. NOT_FOUND when they have no match.
   */
  async unmatch(userId: string, otherId: string): Promise<void> {
    const ended = await this.d.db.transaction(async (tx) => {
      const m = await this.d.store.unmatch(tx, userId, otherId);
      if (m?.conversation_id) await this.d.chat.closeIn(tx, m.conversation_id);
      return m;
    });
    if (!ended) throw new AppError('NOT_FOUND', 'you have no match with this user');
    const conversationId = ended.conversation_id;
    this.d.realtime.toUser(userId, 'match:unmatched', { userId: otherId, conversationId });
    this.d.realtime.toUser(otherId, 'match:unmatched', { userId, conversationId });
  }

  async compatibility(a: string, b: string) {
    const answers = await this.d.store.answersOf([a, b]);
    return matchPercent(answers.get(a) ?? [], answers.get(b) ?? []);
  }

  questions(userId: string) {
    return this.d.store.questions(userId);
  }

  async answer(userId: string, questionId: number, a: { answer: number; accepted: number[]; importance: number }) {
    const size = await this.d.store.questionSize(questionId);
    if (size === undefined) throw new AppError('NOT_FOUND', 'no such question');
    if (a.answer >= size || a.accepted.some((x) => x >= size)) throw new AppError('VALIDATION_FAILED', `answers are 0..${size - 1}`);
    await this.d.store.answer(userId, { questionId, answer: a.answer, accepted: [...new Set(a.accepted)].sort(), importance: a.importance });
  }

  async discover(viewer: Viewer, cursor: string | undefined, limit: number) {
    const userId = viewer.userId;
    const c = cursor ? decode(cursorSchema, cursor) : undefined;
    if (!c) await this.d.store.touch(userId);
    const asOf = c ? new Date(c.asOf) : new Date();
    const rows = await this.d.store.discover(userId, asOf, c ? { score: c.score, id: c.id } : null, limit);
    const last = rows.at(-1);
    const photos = await this.photosOf(viewer, rows.map((r) => r.user_id));
    return {
      candidates: rows.map((r) => ({
        ...toPublicProfile(r, viewer.role, photos.get(r.user_id)),
        matchPercent: r.match,
        commonQuestions: r.common,
        distanceBand: r.band === null ? null : bandOf(r.band),
        score: r.score / 1_000_000,
      })),
      nextCursor: rows.length === limit && last ? encode({ asOf: asOf.toISOString(), score: Number(last.score), id: last.user_id }) : null,
    };
  }

  /** A like or a pass; a mutual like makes a match and opens a conversation, pushed to both. */
  async swipe(userId: string, targetId: string, kind: 'like' | 'pass'): Promise<{ matched: boolean; conversationId: string | null }> {
    if (userId === targetId) throw new AppError('VALIDATION_FAILED', 'not yourself');
    if (!(await this.d.store.get(targetId))) throw new AppError('NOT_FOUND', 'no such user');
    if (await this.d.safety.blockedEitherWay(userId, targetId)) throw new AppError('BLOCKED', 'not available');
    const result = await this.d.db.transaction(async (tx) => {
      const { mutual } = await this.d.store.swipe(tx, userId, targetId, kind);
      if (!mutual) return { matched: false, conversationId: null, fresh: false };
      const conversationId = await this.d.chat.openMatchedIn(tx, userId, targetId);
      if (!conversationId) throw new AppError('INTERNAL', 'could not open the conversation');
      const fresh = await this.d.store.recordMatch(tx, userId, targetId, conversationId);
      return { matched: true, conversationId, fresh };
    });
    if (result.fresh && result.conversationId) {
      this.d.realtime.toUser(userId, 'match:mutual', { userId: targetId, conversationId: result.conversationId });
      this.d.realtime.toUser(targetId, 'match:mutual', { userId, conversationId: result.conversationId });
      const link = `/chats/${result.conversationId}`;
      this.d.notify?.notifyLater(userId, { kind: 'match', subject: targetId, payload: { actorId: targetId, link } });
      this.d.notify?.notifyLater(targetId, { kind: 'match', subject: userId, payload: { actorId: userId, link } });
    } else if (kind === 'like' && !result.matched) {
      // Who liked is not told (likes are seen by liking back): one collapsed "N people liked you".
      this.d.notify?.notifyLater(targetId, { kind: 'like', subject: 'likes', payload: { link: '/discover' } });
    }
    if (result.fresh) this.d.events?.record('match', userId, { peerId: targetId });
    return { matched: result.matched, conversationId: result.conversationId };
  }
}
