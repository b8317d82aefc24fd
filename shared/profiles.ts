import { z } from 'zod';
import type { MediaView } from './media.js';
import type { Prices } from './prices.js';
import { text } from './input.js';

export const GENDERS = ['woman', 'man', 'nonbinary', 'other'] as const;
export const IMPORTANCE = [0, 1, 10, 50, 250] as const;

const tag = text().trim().toLowerCase().regex(/^[\p{L}\p{N} _-]{1,30}$/u, 'letters, digits, spaces, - and _ only');

export const profileBody = z
  .strictObject({
    bio: text().max(2000).optional(),
    gender: z.enum(GENDERS).nullable().optional(),
    interests: z.array(tag).max(20).optional(),
    languages: z.array(text().regex(/^[a-z]{2}$/)).max(10).optional(),
    /** Exact coordinates are accepted and rounded to about 1 km before they are stored; never shown to others. */
    location: z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).nullable().optional(),
  });

/** Who may start a conversation with (or call) a person who is not a creator: their matches only (the default), or everyone. */
export const WHO_CAN_MESSAGE = ['matches', 'everyone'] as const;
export type WhoCanMessage = (typeof WHO_CAN_MESSAGE)[number];

export const preferencesBody = z
  .strictObject({
    whoCanMessage: z.enum(WHO_CAN_MESSAGE).optional(),
    seeksGenders: z.array(z.enum(GENDERS)).max(4).optional(),
    ageMin: z.number().int().min(18).max(120).optional(),
    ageMax: z.number().int().min(18).max(120).optional(),
    maxDistanceKm: z.number().int().min(1).max(20_000).nullable().optional(),
  })
  .refine((p) => p.ageMin === undefined || p.ageMax === undefined || p.ageMin <= p.ageMax, 'ageMin must not exceed ageMax');

export const answerBody = z.strictObject({
  answer: z.number().int().min(0).max(5),
  accepted: z.array(z.number().int().min(0).max(5)).min(1).max(6),
  importance: z.union(IMPORTANCE.map((n) => z.literal(n)) as unknown as [z.ZodLiteral<0>, z.ZodLiteral<1>, z.ZodLiteral<10>, z.ZodLiteral<50>, z.ZodLiteral<250>]),
});

/** How many profile photos a user may show. */
export const MAX_PROFILE_PHOTOS = 6;

/**
 * PUT /api/profile/photos: the caller's photos in order (the first is the primary one), and a creator's avatar
 * and cover; each a media item of theirs of that kind (profile_photo, avatar, cover), uploaded and confirmed
 * (still processing is fine: others see it once it is ready). A field left out is kept; null clears avatar or cover.
 */
export const profilePhotosBody = z
  .strictObject({
    photos: z
      .array(z.uuid())
      .max(MAX_PROFILE_PHOTOS)
      .refine((ids) => new Set(ids).size === ids.length, 'each photo once')
      .optional(),
    avatar: z.uuid().nullable().optional(),
    cover: z.uuid().nullable().optional(),
  })
  .refine((v) => v.photos !== undefined || v.avatar !== undefined || v.cover !== undefined, 'nothing to update');

export const discoverQuery = z.strictObject({
  cursor: text().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/** A page of matches or of likes received: newest first; `cursor` is the previous page's nextCursor. */
export const datingPageQuery = z.strictObject({
  cursor: text().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/** One of the caller's matches (GET /api/matches). */
export interface MatchView {
  profile: PublicProfile;
  /** The direct conversation the match opened. */
  conversationId: string | null;
  matchedAt: string;
}

/** Someone who liked the caller and whom the caller has not answered yet (GET /api/likes). */
export interface LikeView {
  profile: PublicProfile;
  likedAt: string;
}

/**
 * Discover shows how far someone is only as a band between two of these
 * edges (km): under 5, 5–10, 10–25, 25–50, 50–100, 100 and more.
 */
export const DISTANCE_BAND_EDGES_KM = [5, 10, 25, 50, 100] as const;

/** A distance band; `maxKm` null for the last, open-ended one. */
export interface DistanceBand {
  minKm: number;
  maxKm: number | null;
}

/**
 * What anyone may see of a user. No email, no birthdate, no location. The
 * prices are what the viewer would pay this user (0 unless a fan views a
 * creator; in the owner's own view, what fans pay them).
 */
export interface PublicProfile extends Prices {
  userId: string;
  displayName: string;
  role: string;
  age: number;
  gender: string | null;
  bio: string;
  interests: string[];
  languages: string[];
  /** Ready photos in the owner's order (the owner's own view also lists those still processing or refused). */
  photos: MediaView[];
  /** What stands for the user in lists, chats and matches: the avatar they set, else their first ready photo. */
  avatar: MediaView | null;
  /** A creator's page banner, if set. */
  cover: MediaView | null;
}
