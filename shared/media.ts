import { z } from 'zod';
import { text } from './input.js';

/**
 * Media: what a client uploads (photos and videos), how it asks for an
 * upload, and the view it gets back. The bytes go straight to storage (a
 * presigned S3 target, or this server's upload URL in embedded mode); the
 * server then checks, processes and serves them through signed URLs.
 */
export const MEDIA_KINDS = ['avatar', 'profile_photo', 'cover', 'post_media', 'message_attachment', 'verification_document'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** uploading → (confirm) pending → (processed) ready | rejected; deleted at any point by its owner. */
export const MEDIA_STATES = ['uploading', 'pending', 'ready', 'rejected', 'deleted'] as const;
export type MediaState = (typeof MEDIA_STATES)[number];

/** Types accepted, declared and then detected from the bytes. No SVG (scripts), no HEIC (not decodable here). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;
export const VIDEO_TYPES = ['video/mp4', 'video/quicktime', 'video/webm'] as const;

/** Which types each kind takes: videos only where a post or a message carries them; documents are photos of an ID. */
export const KIND_TYPES: Record<MediaKind, readonly string[]> = {
  avatar: IMAGE_TYPES,
  profile_photo: IMAGE_TYPES,
  cover: IMAGE_TYPES,
  post_media: [...IMAGE_TYPES, ...VIDEO_TYPES],
  message_attachment: [...IMAGE_TYPES, ...VIDEO_TYPES],
  verification_document: IMAGE_TYPES,
};

export const isVideoType = (mime: string) => (VIDEO_TYPES as readonly string[]).includes(mime);

/** Why processing (or moderation) refused an item. */
export const REJECT_REASONS = [
  'unsupported_type',
  'empty',
  'too_large',
  'pixel_limit',
  'truncated',
  'no_video_stream',
  'too_long',
  'corrupt',
  /** Processing kept failing for another cause (its attempts were used up). */
  'processing_failed',
  /** moderate() or an admin refused it. */
  'moderation',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const MODERATION_STATES = ['pending', 'approved', 'rejected'] as const;
export type ModerationState = (typeof MODERATION_STATES)[number];

export const createUploadBody = z.strictObject({
  kind: z.enum(MEDIA_KINDS),
  /** The type the client believes it sends; checked against the kind now and against the bytes later. */
  contentType: text().trim().toLowerCase().min(3).max(100),
  /** Exact size in bytes: the upload may not be larger. */
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Shown to the owner only; never part of a storage path (reduced to its last segment, control characters dropped). */
  filename: text().max(255).optional(),
});
export type CreateUploadBody = z.infer<typeof createUploadBody>;

/** Fresh URLs for parts of a multipart upload: to resume it, or past the first URLs' expiry. */
export const presignPartsBody = z.strictObject({
  partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(1000),
});

export const uploadedPart = z.strictObject({
  partNumber: z.number().int().min(1).max(10_000),
  /** The ETag the storage answered for the part (its `ETag` header; the embedded server also answers `{ etag }`). */
  etag: text().trim().min(1).max(200),
});

export const confirmBody = z.strictObject({
  /** Multipart uploads only: every part sent, in order from 1. */
  parts: z.array(uploadedPart).min(1).max(10_000).optional(),
});

export const moderationBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: text().trim().min(1).max(500).optional(),
});

export interface MediaVariantView {
  /** Signed, expires at `urlsExpireAt`; relative to the server's origin in embedded mode. */
  url: string;
  mime: string;
  width: number | null;
  height: number | null;
  bytes: number;
}

/** One of the owner's items in their data export (#18): metadata, and where the owner gets its files' URLs. */
export interface OwnedMediaItem {
  id: string;
  kind: MediaKind;
  state: MediaState;
  filename: string | null;
  mime: string;
  bytes: number | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  /** The names of its readable variants (see MediaView.variants). */
  variants: string[];
  createdAt: string;
  readyAt: string | null;
  /** GET this, signed in as the owner: fresh signed URLs of the original's variants, while the item is not deleted. */
  download: string;
}

export interface MediaView {
  id: string;
  ownerId: string;
  kind: MediaKind;
  state: MediaState;
  /** The type detected from the bytes, once processed. */
  mime: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  /**
   * By name, null until readable. Images: `w160`, `w640`, `w1280` (WebP fitting a square of that size, never
   * enlarged: a smaller image has fewer, the largest at its own size) and `preview` (blurred, at most 32 px,
   * for locked content). Videos: `video` (H.264/AAC MP4, faststart), `poster` (WebP frame) and `preview`.
   */
  variants: Record<string, MediaVariantView> | null;
  urlsExpireAt: string | null;
  createdAt: string;
  readyAt: string | null;
  /**
   * True when this viewer sees a pay-to-view item they have not paid for: `variants` then holds only `preview`
   * (blurred). Unlock it where it was offered (a message's attachment, a post) at the price shown there.
   */
  locked?: true;
  /** The owner's and admins' view only. */
  rejectReason?: RejectReason | null;
  moderation?: { state: ModerationState; reason: string | null; byAdmin: boolean };
  filename?: string | null;
  declared?: { contentType: string; size: number };
  bytes?: number | null;
  uploadExpiresAt?: string;
}

/** Where and how to send the bytes in one request. */
export interface UploadTarget {
  method: 'PUT' | 'POST';
  /** Absolute (S3) or relative to the server's origin (embedded). */
  url: string;
  /** POST: form fields to send before the `file` field, as given. */
  fields?: Record<string, string>;
  /** PUT: headers to send. */
  headers?: Record<string, string>;
  expiresAt: string;
}

/** A large upload in parts: PUT each part's bytes (partSize each, the last one the rest) to its URL and keep its ETag. */
export interface MultipartTarget {
  partSize: number;
  partCount: number;
  parts: { partNumber: number; url: string }[];
  expiresAt: string;
}

export type CreateUploadResult = { media: MediaView; upload: UploadTarget } | { media: MediaView; multipart: MultipartTarget };
