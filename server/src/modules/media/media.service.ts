import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  isVideoType,
  KIND_TYPES,
  type CreateUploadBody,
  type CreateUploadResult,
  type MediaKind,
  type MediaState,
  type MediaView,
  type OwnedMediaItem,
} from '../../../../shared/media.js';
import type { MediaConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import { rateLimited } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MediaRow, MediaStore } from './media.store.js';
import { displayFilename, isPrivileged, mediaView, newPrefix, originalKey, prefixOf, type Viewer } from './media.views.js';
import type { MediaStorage } from './storage.js';

/**
 * How much of an item a viewer may see: all of it, only its blurred preview (a pay-to-view item they have not
 * paid for; they may know it exists and what it costs), or nothing (it does not exist for them).
 */
export type MediaAccess = 'full' | 'preview' | 'none';
/** A viewer's access to a ready item of a kind whose rule belongs to another module (chat's members, a creator's buyers). */
export type MediaAccessRule = (viewer: Viewer, media: MediaRow) => Promise<MediaAccess>;
/** Filled by the modules built on media (bound late in createModules); a kind without a rule is its owner's (and admins') only. */
export type MediaAccessHooks = Partial<Record<'post_media' | 'message_attachment', MediaAccessRule>>;

/** Kinds anyone signed in may see once ready: what shows who a user is. */
const PUBLIC_KINDS: ReadonlySet<MediaKind> = new Set(['avatar', 'profile_photo', 'cover']);

/**
 * Uploads, their confirmation, reads and deletion. Every method that touches
 * an item starts with its access check; an item the caller may not see is
 * NOT_FOUND, whether or not it exists.
 *
 *   POST /uploads ──► uploading ──(bytes to storage)──► POST /:id/confirm ──► pending ──(media.process)──► ready | rejected
 */
export class MediaService {
  constructor(
    private readonly d: {
      store: MediaStore;
      /** Undefined: this deployment stores no media (every call is MEDIA_UNAVAILABLE). */
      storage: MediaStorage | undefined;
      jobs: JobQueue;
      realtime: Realtime;
      logger: Logger;
      config: MediaConfig;
      /** Uploads started per user (MEDIA_UPLOADS_PER_HOUR). */
      uploads: RateLimiterAbstract;
      audit: Pick<AuditService, 'record'>;
      access: () => MediaAccessHooks;
      /** An item its owner deleted: a quarantine waiting on it leaves the moderation queue. */
      gone: (id: string) => Promise<unknown>;
    },
  ) {}

  storage(): MediaStorage {
    if (!this.d.storage) throw new AppError('MEDIA_UNAVAILABLE', 'this deployment stores no media (set MEDIA_S3_BUCKET, or MEDIA_STORAGE=local on a shared volume)');
    return this.d.storage;
  }

  view(m: MediaRow, viewer: Viewer, locked = false): Promise<MediaView> {
    return mediaView(m, viewer, { storage: this.d.storage, urlTtlSeconds: this.d.config.urlTtlSeconds, locked });
  }

  /** The owner's view, pushed to all their devices. */
  async push(m: MediaRow): Promise<void> {
    this.d.realtime.toUser(m.owner_id, 'media:updated', { media: await this.view(m, { userId: m.owner_id, role: 'fan' }) });
  }

  async createUpload(userId: string, b: CreateUploadBody): Promise<CreateUploadResult> {
    const storage = this.storage();
    const { limits, multipart, uploadTtlSeconds } = this.d.config;
    const allowed = KIND_TYPES[b.kind];
    if (!allowed.includes(b.contentType)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `a ${b.kind} may be ${allowed.join(', ')}`, { details: { allowed } });
    }
    const maxBytes = isVideoType(b.contentType) ? limits.videoMaxBytes : limits.imageMaxBytes;
    if (b.size > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `at most ${maxBytes} bytes for this type`, { details: { maxBytes } });
    await this.d.uploads.consume(userId).catch((err: unknown) => {
      throw rateLimited(err, 'too many uploads: wait a while');
    });

    const id = randomUUID();
    const prefix = newPrefix();
    const key = originalKey({ storage_prefix: prefix });
    const expiresAt = new Date(Date.now() + uploadTtlSeconds * 1000);
    const parts = b.size > multipart.thresholdBytes ? { uploadId: await storage.createMultipart(key, b.contentType), partBytes: multipart.partBytes } : null;
    let row: MediaRow;
    try {
      row = await this.d.store.insert({
        id,
        ownerId: userId,
        kind: b.kind,
        declaredMime: b.contentType,
        declaredBytes: b.size,
        filename: displayFilename(b.filename),
        storagePrefix: prefix,
        multipart: parts,
        uploadExpiresAt: expiresAt,
      });
    } catch (err) {
      if (parts) await storage.abortMultipart(key, parts.uploadId).catch(() => undefined);
      throw err;
    }
    const media = await this.view(row, { userId, role: 'fan' });
    if (!parts) return { media, upload: await storage.uploadTarget(key, { contentType: b.contentType, maxBytes: b.size, expiresAt }) };
    const partCount = Math.ceil(b.size / parts.partBytes);
    return {
      media,
      multipart: {
        partSize: parts.partBytes,
        partCount,
        parts: await this.partUrls(row, Array.from({ length: partCount }, (_, i) => i + 1)),
        expiresAt: expiresAt.toISOString(),
      },
    };
  }

  /** Fresh URLs for parts of an open multipart upload (to resume it). */
  async presignParts(userId: string, id: string, partNumbers: number[]) {
    this.storage();
    const m = await this.openUpload(userId, id);
    if (!m.multipart_upload_id) throw new AppError('MEDIA_WRONG_STATE', 'this upload is not in parts (or its parts were already joined)', { details: { state: m.state } });
    const count = Math.ceil(m.declared_bytes / m.multipart_part_bytes!);
    const wanted = [...new Set(partNumbers)].sort((a, b) => a - b);
    if (wanted[wanted.length - 1]! > count) throw new AppError('VALIDATION_FAILED', `this upload has ${count} parts`);
    return { parts: await this.partUrls(m, wanted), expiresAt: m.upload_expires_at.toISOString() };
  }

  /**
   * The client says its bytes are stored. The stored object's real size must
   * be above zero and at most the declared size (S3-compatible stores that
   * ignore POST policies included); then the item waits for processing.
   * Confirming again returns the item as it is now (`replayed`).
   */
  async confirm(userId: string, id: string, parts: { partNumber: number; etag: string }[] | undefined): Promise<{ media: MediaView; replayed: boolean }> {
    const storage = this.storage();
    const viewer = { userId, role: 'fan' } as const;
    const m = await this.owned(userId, id);
    if (m.state !== 'uploading') {
      // A retry after a lost answer: queue it again (the same job id runs once) in case the first enqueue was lost.
      if (m.state === 'pending') await this.enqueueProcessing(m.id);
      return { media: await this.view(m, viewer), replayed: true };
    }
    if (m.upload_expires_at.getTime() <= Date.now()) throw new AppError('UPLOAD_EXPIRED', 'the time for this upload is over: start a new one');
    const key = originalKey(m);
    if (m.multipart_upload_id) {
      if (!parts) throw new AppError('VALIDATION_FAILED', 'parts: required to finish an upload in parts');
      if (!parts.every((p, i) => p.partNumber === i + 1) || parts.length > Math.ceil(m.declared_bytes / m.multipart_part_bytes!)) {
        throw new AppError('UPLOAD_INCOMPLETE', 'parts must be every part sent, numbered 1, 2, 3, … in order');
      }
      await storage.completeMultipart(key, m.multipart_upload_id, parts);
      await this.d.store.multipartDone(m.id);
    } else if (parts && m.multipart_part_bytes === null) {
      throw new AppError('VALIDATION_FAILED', 'parts: only for an upload in parts');
    }
    const stored = await storage.head(key);
    if (!stored) throw new AppError('UPLOAD_INCOMPLETE', 'nothing has been uploaded for this item yet');
    if (stored.size === 0) {
      await storage.deletePrefix(m.storage_prefix);
      throw new AppError('UPLOAD_INCOMPLETE', 'the upload is empty: send the bytes again');
    }
    if (stored.size > m.declared_bytes) {
      const rejected = await this.d.store.reject(m.id, 'too_large', 'uploading');
      if (rejected) await this.purge(rejected);
      throw new AppError('PAYLOAD_TOO_LARGE', `${stored.size} bytes were stored, more than the ${m.declared_bytes} declared: the upload is refused`);
    }
    const confirmed = await this.d.store.confirm(m.id, stored.size);
    if (!confirmed) return { media: await this.view((await this.d.store.get(m.id))!, viewer), replayed: true };
    await this.enqueueProcessing(m.id);
    return { media: await this.view(confirmed, viewer), replayed: false };
  }

  async get(viewer: Viewer, id: string): Promise<MediaView> {
    this.storage();
    const m = await this.d.store.get(id);
    const access = m ? await this.access(viewer, m) : 'none';
    if (!m || access === 'none') throw new AppError('NOT_FOUND', 'no such media');
    return this.view(m, viewer, access === 'preview');
  }

  /**
   * The views of several public items (profile photos, avatars, covers) that
   * this viewer may see in full, by id; the others (not ready, deleted,
   * another kind) are left out. Missing storage: none.
   */
  async publicViews(viewer: Viewer, ids: string[]): Promise<Map<string, MediaView>> {
    if (!this.d.storage || ids.length === 0) return new Map();
    const rows = await this.d.store.getMany([...new Set(ids)]);
    const visible = rows.filter((m) => PUBLIC_KINDS.has(m.kind) && m.state !== 'deleted' && (m.state === 'ready' || isPrivileged(viewer, m)));
    return new Map(await Promise.all(visible.map(async (m) => [m.id, await this.view(m, viewer)] as const)));
  }

  /**
   * The views of items of one kind whose read rule the caller has already applied for this viewer (a page of
   * posts, each seen in full or locked, grants its items in full or as their blurred preview), read in one
   * query rather than one `get` each. Items the rule cannot grant are left out: another kind, deleted, or not
   * ready (for anyone but their owner and admins).
   */
  async grantedViews(viewer: Viewer, kind: 'post_media' | 'message_attachment', granted: { full: string[]; preview: string[] }): Promise<{ full: Map<string, MediaView>; preview: Map<string, MediaView> }> {
    const ids = [...new Set([...granted.full, ...granted.preview])];
    if (ids.length === 0) return { full: new Map(), preview: new Map() };
    this.storage();
    const rows = new Map((await this.d.store.getMany(ids)).map((m) => [m.id, m]));
    const viewsOf = async (wanted: string[], locked: boolean) => {
      const shown = [...new Set(wanted)].flatMap((id) => {
        const m = rows.get(id);
        return m && m.kind === kind && m.state !== 'deleted' && (m.state === 'ready' || isPrivileged(viewer, m)) ? [m] : [];
      });
      return new Map(await Promise.all(shown.map(async (m) => [m.id, await this.view(m, viewer, locked)] as const)));
    };
    const [full, preview] = await Promise.all([viewsOf(granted.full, false), viewsOf(granted.preview, true)]);
    return { full, preview };
  }

  /**
   * How much of an item a viewer may read (its signed URLs): its owner and
   * admins all of it (deleted items nobody); other people only once it is
   * ready, by kind: avatars, profile photos and covers any signed-in user;
   * verification documents nobody else; post media and message attachments
   * what the kind's rule (from the creators and chat modules) allows, else nothing.
   */
  async access(viewer: Viewer, m: MediaRow): Promise<MediaAccess> {
    if (m.state === 'deleted') return 'none';
    if (isPrivileged(viewer, m)) return 'full';
    if (m.state !== 'ready') return 'none';
    if (PUBLIC_KINDS.has(m.kind)) return 'full';
    switch (m.kind) {
      case 'post_media':
      case 'message_attachment':
        return (await this.d.access()[m.kind]?.(viewer, m)) ?? 'none';
      default:
        return 'none';
    }
  }

  /**
   * An item of one of these kinds owned by `ownerId` in one of these states, for the modules that attach media to
   * what they store (a message needs it ready; a profile photo may still be processing).
   */
  async requireOwned(ownerId: string, id: string, kinds: MediaKind[], states: MediaState[] = ['ready']): Promise<MediaRow> {
    this.storage();
    const m = await this.d.store.get(id);
    if (!m || m.owner_id !== ownerId || !kinds.includes(m.kind) || m.state === 'deleted') throw new AppError('NOT_FOUND', `no such media of yours (${kinds.join(' or ')})`, { details: { mediaId: id } });
    if (!states.includes(m.state)) {
      throw new AppError('MEDIA_WRONG_STATE', states.includes('pending') ? 'this media was not uploaded or was refused' : 'this media is not ready yet', { details: { mediaId: id, state: m.state } });
    }
    return m;
  }

  /** The owner deletes an item in any state: the row says deleted at once, and every object under its prefix goes. */
  async delete(userId: string, id: string): Promise<void> {
    this.storage();
    await this.owned(userId, id);
    const deleted = await this.d.store.markDeleted(id, userId);
    if (!deleted) throw new AppError('NOT_FOUND', 'no such media');
    await this.purge(deleted);
    await this.d.gone(id);
    await this.push(deleted);
  }

  /**
   * The owner's items not deleted, as their data export lists them: metadata only. Signed URLs would expire
   * inside an archive kept for days; GET /api/media/:id gives the owner fresh ones while the item exists.
   */
  async ownedItems(userId: string): Promise<OwnedMediaItem[]> {
    const rows = await this.d.store.getMany(await this.d.store.liveIdsOf(userId));
    return rows
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime())
      .map((m) => ({
        id: m.id,
        kind: m.kind,
        state: m.state,
        filename: m.filename,
        mime: m.detected_mime ?? m.declared_mime,
        bytes: m.bytes,
        width: m.width,
        height: m.height,
        durationMs: m.duration_ms,
        variants: Object.keys(m.variants ?? {}),
        createdAt: m.created_at.toISOString(),
        readyAt: m.ready_at?.toISOString() ?? null,
        download: `/api/media/${m.id}`,
      }));
  }

  /** Deletes everything an erased account uploaded (profile pictures, attachments, post media), as its owner would. */
  async deleteAllOf(userId: string): Promise<number> {
    const ids = await this.d.store.liveIdsOf(userId);
    for (const id of ids) await this.delete(userId, id);
    return ids.length;
  }

  /** An admin's verdict, overriding moderate()'s: approve makes a refused item ready again (its files were kept), reject withdraws a ready one. */
  async moderate(adminId: string, id: string, decision: 'approve' | 'reject', reason: string | undefined, ip: string | null): Promise<MediaView> {
    this.storage();
    const m = await this.d.store.override(id, decision === 'approve', reason ?? null, adminId);
    if (!m) {
      const current = await this.d.store.get(id);
      if (!current) throw new AppError('NOT_FOUND', 'no such media');
      throw new AppError('MEDIA_WRONG_STATE', 'only processed media (ready, or refused by moderation) can be moderated', { details: { state: current.state } });
    }
    this.d.audit.record({
      key: `media_moderation:${id}:${randomUUID()}`,
      actorId: adminId,
      action: 'admin.media_moderation',
      ip,
      meta: { mediaId: id, ownerId: m.owner_id, decision, reason: reason ?? null },
    });
    await this.push(m);
    return this.view(m, { userId: adminId, role: 'admin' });
  }

  /**
   * An admin settled a quarantined item in the moderation queue (audited there): allow shows it to everyone,
   * remove withdraws it (files kept, as for any moderation refusal). Gone or deleted meanwhile: nothing to do.
   */
  async settleQuarantine(adminId: string, id: string, decision: 'allow' | 'remove'): Promise<void> {
    const m = await this.d.store.override(id, decision === 'allow', decision === 'remove' ? 'removed after review' : null, adminId);
    if (m) await this.push(m);
  }

  /** The embedded driver's upload URL: only while the item is still uploading. */
  async receiveUpload(token: string, body: Readable, declaredLength: number | undefined): Promise<{ etag: string; size: number }> {
    const local = this.storage().local;
    if (!local) throw new AppError('NOT_FOUND', 'uploads go to the object store in this deployment');
    const grant = local.verifyUpload(token);
    const prefix = prefixOf(grant.key);
    const m = prefix ? await this.d.store.byPrefix(prefix) : undefined;
    if (!m) throw new AppError('NOT_FOUND', 'this upload no longer exists');
    if (m.state !== 'uploading') throw new AppError('MEDIA_WRONG_STATE', 'this upload is already confirmed', { details: { state: m.state } });
    return local.receive(grant, body, declaredLength);
  }

  /** The embedded driver's read URL. The signature is the permission: it was only handed to someone canRead allowed. */
  readFile(token: string): { path: string; contentType: string; maxAgeSeconds: number } {
    const local = this.storage().local;
    if (!local) throw new AppError('NOT_FOUND', 'media is served by the object store in this deployment');
    return local.readFile(token);
  }

  enqueueProcessing(id: string, suffix = ''): Promise<void> {
    return this.d.jobs.enqueue('media.process', { mediaId: id }, { jobId: `media:${id}${suffix}` });
  }

  /** Removes every object of an item (and its open multipart upload); a failure is left to the sweep. */
  async purge(m: MediaRow): Promise<boolean> {
    const storage = this.storage();
    try {
      if (m.multipart_upload_id) await storage.abortMultipart(originalKey(m), m.multipart_upload_id);
      await storage.deletePrefix(m.storage_prefix);
      await this.d.store.markPurged(m.id);
      return true;
    } catch (err) {
      this.d.logger.warn({ err, mediaId: m.id }, 'media storage not removed yet (the sweep retries)');
      return false;
    }
  }

  private async owned(userId: string, id: string): Promise<MediaRow> {
    const m = await this.d.store.get(id);
    if (!m || m.owner_id !== userId || m.state === 'deleted') throw new AppError('NOT_FOUND', 'no such media');
    return m;
  }

  private async openUpload(userId: string, id: string): Promise<MediaRow> {
    const m = await this.owned(userId, id);
    if (m.state !== 'uploading') throw new AppError('MEDIA_WRONG_STATE', 'this upload is already confirmed', { details: { state: m.state } });
    if (m.upload_expires_at.getTime() <= Date.now()) throw new AppError('UPLOAD_EXPIRED', 'the time for this upload is over: start a new one');
    return m;
  }

  private async partUrls(m: MediaRow, numbers: number[]) {
    const storage = this.storage();
    const partBytes = m.multipart_part_bytes!;
    return Promise.all(
      numbers.map(async (n) => ({
        partNumber: n,
        url: await storage.partUrl(originalKey(m), m.multipart_upload_id!, n, { maxBytes: partBytes, expiresAt: m.upload_expires_at }),
      })),
    );
  }
}
