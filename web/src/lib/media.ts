import type { MediaView } from '../../../shared/media.js';

/**
 * Photos and videos as the pages show them, without React or the DOM (unit
 * tested in node): which variant to load at which size, and how long a view's
 * signed URLs may be used. (Picked files and uploads: lib/media-files.ts and
 * lib/upload.ts, loaded only by the pages that upload.)
 */

/** Query keys of media views (GET /api/media/:id). */
export const mediaKeys = {
  one: (id: string) => ['media', id] as const,
};

/** The image variants, smallest first: WebP fitting a square of that many pixels (a small original has fewer). */
export const IMAGE_VARIANTS = ['w160', 'w640', 'w1280'] as const;

export interface ImageSource {
  src: string;
  /** `url 160w, url 640w, …` by each variant's real width (a portrait photo's w640 is narrower than 640). */
  srcSet: string | undefined;
  width: number | undefined;
  height: number | undefined;
}

/**
 * The sources of an image view for `<img srcset sizes>`: every sized variant
 * with its width, and as `src` the smallest one at least `fallbackWidth`
 * wide (browsers without srcset, and the intrinsic size that stops layout
 * from jumping). Null when nothing can be shown (not ready, or a video).
 */
export function imageSource(view: Pick<MediaView, 'variants'>, fallbackWidth = 640): ImageSource | null {
  const v = view.variants;
  if (!v) return null;
  const sized = IMAGE_VARIANTS.map((name) => v[name]).filter((x): x is NonNullable<typeof x> => x !== undefined);
  if (sized.length === 0) {
    // A video's frame, or only the blurred preview of a locked item.
    const still = v.poster ?? v.preview;
    return still ? { src: still.url, srcSet: undefined, width: still.width ?? undefined, height: still.height ?? undefined } : null;
  }
  const withWidth = sized.filter((s) => s.width !== null);
  const fallback = sized.find((s) => (s.width ?? 0) >= fallbackWidth) ?? sized.at(-1)!;
  return {
    src: fallback.url,
    // Two variants of one width (a tiny original) would make an invalid srcset: keep the first of each.
    srcSet: withWidth.length ? withWidth.filter((s, i) => withWidth.findIndex((o) => o.width === s.width) === i).map((s) => `${s.url} ${s.width}w`).join(', ') : undefined,
    width: fallback.width ?? undefined,
    height: fallback.height ?? undefined,
  };
}

/** What to show for a view: a picture, a video (with its poster), the blurred preview of locked content, or nothing yet. */
export type MediaShape =
  | { kind: 'image'; source: ImageSource }
  | { kind: 'video'; src: string; poster: string | undefined; width: number | undefined; height: number | undefined }
  | { kind: 'locked'; preview: string | null }
  | { kind: 'processing' }
  | { kind: 'rejected' }
  | { kind: 'gone' };

export function mediaShape(view: MediaView): MediaShape {
  if (view.locked) return { kind: 'locked', preview: view.variants?.preview?.url ?? null };
  if (view.state === 'uploading' || view.state === 'pending') return { kind: 'processing' };
  if (view.state === 'rejected') return { kind: 'rejected' };
  if (view.state === 'deleted' || !view.variants) return { kind: 'gone' };
  const video = view.variants.video;
  if (video) {
    const poster = view.variants.poster;
    return { kind: 'video', src: video.url, poster: poster?.url, width: video.width ?? view.width ?? undefined, height: video.height ?? view.height ?? undefined };
  }
  const source = imageSource(view);
  return source ? { kind: 'image', source } : { kind: 'gone' };
}

/** How long before its URLs expire a view is fetched again: half a minute, or half of what is left when that is less. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * How long a view's signed URLs can still be handed to the page (ms; 0: fetch
 * a fresh view now). A view without URLs (processing, refused) is worth
 * asking about again soon; Infinity would hide a state change. The server
 * signs in windows, so a URL lives at least half of MEDIA_URL_TTL_SECONDS.
 */
export function usableForMs(view: Pick<MediaView, 'urlsExpireAt' | 'variants'> | undefined, now: number, noUrlsMs = 15_000): number {
  if (!view) return 0;
  if (!view.urlsExpireAt || !view.variants) return noUrlsMs;
  const left = Date.parse(view.urlsExpireAt) - now;
  if (!Number.isFinite(left) || left <= 0) return 0;
  return Math.max(0, left - Math.min(REFRESH_MARGIN_MS, left / 2));
}

/** The view's links no longer open (past urlsExpireAt): a fresh view is needed before anything is loaded. */
export function linksExpired(view: Pick<MediaView, 'urlsExpireAt' | 'variants'>, now: number): boolean {
  return view.variants !== null && view.urlsExpireAt !== null && Date.parse(view.urlsExpireAt) <= now;
}

/**
 * Of two views of one item (the cache's and one that came inside a profile
 * or a list), the one to keep: a state change wins (ready after pending,
 * unlocked after locked), then the URLs that live longer.
 */
export function fresherView(cached: MediaView | undefined, incoming: MediaView): MediaView {
  if (!cached || cached.id !== incoming.id) return incoming;
  // Unlocked stays unlocked: a page fetched before the unlock still says locked (stale URLs are fetched again on error).
  if (cached.state === 'ready' && !cached.locked && incoming.locked) return cached;
  if (cached.locked && !incoming.locked) return incoming;
  if (cached.state !== incoming.state) return rank(incoming) >= rank(cached) ? incoming : cached;
  return (incoming.urlsExpireAt ?? '') >= (cached.urlsExpireAt ?? '') ? incoming : cached;
}

const STATE_RANK: Record<MediaView['state'], number> = { uploading: 0, pending: 1, ready: 2, rejected: 2, deleted: 3 };
const rank = (v: MediaView) => STATE_RANK[v.state];
