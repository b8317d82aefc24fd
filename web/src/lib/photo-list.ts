import { MAX_PROFILE_PHOTOS, type PublicProfile } from '../../../shared/profiles.js';
import type { MediaView } from '../../../shared/media.js';

/**
 * The profile-photo editor's rules without React (unit tested in node): the
 * list in order (the first is the primary photo), moves, and what a save
 * sends to PUT /api/profile/photos. An entry is a photo already on the
 * profile, or a new upload (its media id once the server gave one).
 */

export interface PhotoEntry {
  /** Stable across moves (React's key): the media id, or the upload's own key until it has one. */
  key: string;
  mediaId: string | null;
  /** Where the bytes are: on the server and processing or processed, still going up, or refused. */
  status: 'uploading' | 'processing' | 'ready' | 'rejected' | 'failed';
}

/** The saved set: what PUT /api/profile/photos last stored (or GET /api/profile showed). */
export interface SavedPhotos {
  photos: string[];
  avatar: string | null;
  cover: string | null;
}

/** From the owner's profile. `avatar` there falls back to the first ready photo: only an item of kind avatar is one set. */
export function savedOf(p: Pick<PublicProfile, 'photos' | 'avatar' | 'cover'>): SavedPhotos {
  return { photos: p.photos.map((m) => m.id), avatar: p.avatar?.kind === 'avatar' ? p.avatar.id : null, cover: p.cover?.id ?? null };
}

export function statusOf(view: Pick<MediaView, 'state'>): PhotoEntry['status'] {
  if (view.state === 'ready') return 'ready';
  if (view.state === 'rejected' || view.state === 'deleted') return 'rejected';
  if (view.state === 'uploading') return 'uploading';
  return 'processing';
}

/** The entry moved by `delta` places (-1 earlier, +1 later), within the list. */
export function move<T>(list: readonly T[], index: number, delta: number): T[] {
  const to = Math.max(0, Math.min(list.length - 1, index + delta));
  if (to === index || index < 0 || index >= list.length) return [...list];
  const next = [...list];
  const [item] = next.splice(index, 1);
  next.splice(to, 0, item!);
  return next;
}

/** Primary = first. */
export function makePrimary<T>(list: readonly T[], index: number): T[] {
  return move(list, index, -index);
}

/** How many more photos may be added. */
export function roomLeft(list: readonly PhotoEntry[]): number {
  return Math.max(0, MAX_PROFILE_PHOTOS - list.length);
}

/**
 * The photos a save stores, in order: those the server has and may show
 * (processing or ready). Refused ones are left out (the server would refuse
 * the whole save for them); ones still uploading cannot be saved yet.
 */
export function savableIds(list: readonly PhotoEntry[]): string[] {
  return list.filter((e) => e.mediaId !== null && (e.status === 'processing' || e.status === 'ready')).map((e) => e.mediaId!);
}

/**
 * The body of PUT /api/profile/photos for the edits made, only the fields
 * that changed; null when there is nothing to save.
 */
export function photosBody(saved: SavedPhotos, draft: SavedPhotos): Partial<SavedPhotos> | null {
  const body: Partial<SavedPhotos> = {};
  if (draft.photos.join() !== saved.photos.join()) body.photos = draft.photos;
  if (draft.avatar !== saved.avatar) body.avatar = draft.avatar;
  if (draft.cover !== saved.cover) body.cover = draft.cover;
  return Object.keys(body).length ? body : null;
}
