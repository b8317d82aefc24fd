import { randomBytes } from 'node:crypto';
import type { MediaVariantView, MediaView } from '../../../../shared/media.js';
import type { Role } from '../../../../shared/auth.js';
import type { MediaRow } from './media.store.js';
import type { MediaStorage } from './storage.js';

/** Who looks at a media item. */
export interface Viewer {
  userId: string;
  role: Role;
}

/*
 * Storage keys. A media item's objects all sit under one random prefix
 * (`ab/ab12…ef/`: 128 random bits, the first byte again as a fan-out folder),
 * so the only way to them is through this row, and deleting the prefix
 * deletes them all. Nothing a client sends becomes part of a key.
 */
export function newPrefix(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 2)}/${hex}/`;
}
export const originalKey = (m: Pick<MediaRow, 'storage_prefix'>) => `${m.storage_prefix}original`;
export const variantKey = (m: Pick<MediaRow, 'storage_prefix'>, name: string, ext: string) => `${m.storage_prefix}v/${name}.${ext}`;
/** The prefix a key of ours lives under (its first two segments). */
export function prefixOf(key: string): string | undefined {
  const m = /^([a-f0-9]{2}\/[a-f0-9]{32}\/)/.exec(key);
  return m?.[1];
}

/**
 * The window a signed URL belongs to: URLs are signed at the start of a
 * half-TTL window and expire one TTL later, so the same variant keeps the
 * same URL for a while (browsers and CDNs can cache it) and every URL handed
 * out still lives at least half the TTL.
 */
export function urlWindow(ttlSeconds: number, now = Date.now()): { signedAt: Date; expiresAt: Date } {
  const half = Math.max(1, Math.floor(ttlSeconds / 2)) * 1000;
  const start = Math.floor(now / half) * half;
  return { signedAt: new Date(start), expiresAt: new Date(start + ttlSeconds * 1000) };
}

/** Nobody in particular: what any signed-in user sees of public items (for one batch shown to many people). */
export const ANYONE: Viewer = { userId: '00000000-0000-0000-0000-000000000000', role: 'fan' };

export const isPrivileged = (viewer: Viewer, m: Pick<MediaRow, 'owner_id'>) => viewer.role === 'admin' || viewer.userId === m.owner_id;

/**
 * What a viewer who may read the item sees: signed variant URLs when it is servable to them, details for its
 * owner and admins. `locked`: a pay-to-view item this viewer has not paid for, served as its blurred preview only.
 */
export async function mediaView(m: MediaRow, viewer: Viewer, o: { storage: MediaStorage | undefined; urlTtlSeconds: number; locked?: boolean }): Promise<MediaView> {
  const privileged = isPrivileged(viewer, m);
  const locked = !privileged && o.locked === true;
  // A moderation refusal keeps its files for the admin who reviews it; nobody else is served them. A quarantined
  // item (ready, moderation still pending) is its owner's and the admins' until an admin decides.
  const servable =
    (m.state === 'ready' && (m.moderation !== 'pending' || privileged)) || (viewer.role === 'admin' && m.state === 'rejected' && m.reject_reason === 'moderation');
  let variants: Record<string, MediaVariantView> | null = null;
  let urlsExpireAt: string | null = null;
  if (servable && o.storage) {
    const w = urlWindow(o.urlTtlSeconds);
    const storage = o.storage;
    const entries = await Promise.all(
      Object.entries(m.variants)
        .filter(([name]) => !locked || name === 'preview')
        .map(async ([name, v]) => {
          const url = await storage.readUrl(v.key, { contentType: v.mime, expiresAt: w.expiresAt, signedAt: w.signedAt });
          return [name, { url, mime: v.mime, width: v.width, height: v.height, bytes: v.bytes }] as const;
        }),
    );
    variants = Object.fromEntries(entries);
    urlsExpireAt = w.expiresAt.toISOString();
  }
  const view: MediaView = {
    id: m.id,
    ownerId: m.owner_id,
    kind: m.kind,
    state: m.state,
    mime: m.detected_mime,
    width: m.width,
    height: m.height,
    durationMs: m.duration_ms,
    variants,
    urlsExpireAt,
    createdAt: m.created_at.toISOString(),
    readyAt: m.ready_at?.toISOString() ?? null,
    ...(locked ? { locked: true as const } : {}),
  };
  if (!privileged) return view;
  return {
    ...view,
    rejectReason: m.reject_reason,
    moderation: { state: m.moderation, reason: m.moderation_reason, byAdmin: m.moderated_by !== null },
    filename: m.filename,
    declared: { contentType: m.declared_mime, size: m.declared_bytes },
    bytes: m.bytes,
    uploadExpiresAt: m.upload_expires_at.toISOString(),
  };
}

/** A client's file name as a display string: its last path segment, no control or format characters, no leading dots. */
export function displayFilename(name: string | undefined): string | null {
  if (name === undefined) return null;
  const last = name.split(/[/\\]/).pop() ?? '';
  const clean = last
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return clean || null;
}
