import { describe, expect, it } from 'vitest';
import type { MediaView } from '../../shared/media.js';
import { ApiError } from '../../web/src/lib/api.js';
import { fresherView, imageSource, linksExpired, mediaShape, usableForMs } from '../../web/src/lib/media.js';
import { allowedTypesText, bytesText, checkFile, percentText, refusalText, rejectReasonText } from '../../web/src/lib/media-files.js';
import { makePrimary, move, photosBody, roomLeft, savableIds, savedOf, statusOf, type PhotoEntry } from '../../web/src/lib/photo-list.js';
import { UploadTask, uploadErrorText, type MediaEvents, type Transport, type UploadDeps } from '../../web/src/lib/upload.js';

/**
 * The web client's media logic without a browser: which variant an <img>
 * gets, how long a view's signed links are used, a picked file's first check,
 * and an upload from start to processed (web/src/lib/upload.ts) driven through
 * a scripted server (`ScriptedServer` below: it answers as the routes in
 * test/integration/media.test.ts do, and records what the client sent). The
 * real server and browser are exercised by test/e2e/web-media.test.ts.
 */

const NOW = Date.parse('2026-03-01T12:00:00Z');
const ID = '20000000-0000-4000-8000-000000000001';

function view(patch: Partial<MediaView> = {}): MediaView {
  return {
    id: ID,
    ownerId: 'owner',
    kind: 'profile_photo',
    state: 'ready',
    mime: 'image/jpeg',
    width: 1600,
    height: 1200,
    durationMs: null,
    variants: {
      w160: { url: '/f/160', mime: 'image/webp', width: 160, height: 120, bytes: 10 },
      w640: { url: '/f/640', mime: 'image/webp', width: 640, height: 480, bytes: 100 },
      w1280: { url: '/f/1280', mime: 'image/webp', width: 1280, height: 960, bytes: 400 },
      preview: { url: '/f/preview', mime: 'image/webp', width: 32, height: 24, bytes: 1 },
    },
    urlsExpireAt: new Date(NOW + 200_000).toISOString(),
    createdAt: new Date(NOW - 60_000).toISOString(),
    readyAt: new Date(NOW - 50_000).toISOString(),
    ...patch,
  };
}

describe('which variant the page loads', () => {
  it('offers every sized variant by its real width, and the smallest one wide enough as src', () => {
    const s = imageSource(view())!;
    expect(s.srcSet).toBe('/f/160 160w, /f/640 640w, /f/1280 1280w');
    expect(s.src).toBe('/f/640');
    expect([s.width, s.height]).toEqual([640, 480]);
    expect(imageSource(view(), 100)!.src).toBe('/f/160');
    // Nothing wide enough: the largest there is (a small original has fewer variants).
    expect(imageSource(view(), 5000)!.src).toBe('/f/1280');
  });

  it('keeps one entry per width (a tiny original makes equal variants) and never lists the blurred preview', () => {
    const tiny = view({ variants: { w160: { url: '/a', mime: 'image/webp', width: 90, height: 90, bytes: 1 }, w640: { url: '/b', mime: 'image/webp', width: 90, height: 90, bytes: 1 }, preview: { url: '/p', mime: 'image/webp', width: 32, height: 32, bytes: 1 } } });
    expect(imageSource(tiny)!.srcSet).toBe('/a 90w');
    expect(imageSource(view())!.srcSet).not.toContain('preview');
  });

  it('shapes a view: picture, video with poster, locked preview, processing, refused', () => {
    expect(mediaShape(view()).kind).toBe('image');
    const video = mediaShape(view({ mime: 'video/mp4', variants: { video: { url: '/v', mime: 'video/mp4', width: 320, height: 240, bytes: 9 }, poster: { url: '/poster', mime: 'image/webp', width: 320, height: 240, bytes: 2 } } }));
    expect(video).toEqual({ kind: 'video', src: '/v', poster: '/poster', width: 320, height: 240 });
    expect(mediaShape(view({ locked: true, variants: { preview: { url: '/p', mime: 'image/webp', width: 32, height: 24, bytes: 1 } } }))).toEqual({ kind: 'locked', preview: '/p' });
    expect(mediaShape(view({ state: 'pending', variants: null })).kind).toBe('processing');
    expect(mediaShape(view({ state: 'rejected', variants: null })).kind).toBe('rejected');
    expect(mediaShape(view({ state: 'ready', variants: null })).kind).toBe('gone');
  });
});

describe('how long a view is used', () => {
  it('until shortly before its links expire, and not at all once they have', () => {
    expect(usableForMs(view(), NOW)).toBe(170_000);
    // Little left: half of it, so the fresh view is there before the old links die.
    expect(usableForMs(view({ urlsExpireAt: new Date(NOW + 20_000).toISOString() }), NOW)).toBe(10_000);
    expect(usableForMs(view({ urlsExpireAt: new Date(NOW - 1).toISOString() }), NOW)).toBe(0);
    expect(usableForMs(undefined, NOW)).toBe(0);
    // No links yet (processing): asked about again soon, never kept for good.
    expect(usableForMs(view({ state: 'pending', variants: null, urlsExpireAt: null }), NOW)).toBe(15_000);
    expect(linksExpired(view({ urlsExpireAt: new Date(NOW).toISOString() }), NOW)).toBe(true);
    expect(linksExpired(view(), NOW)).toBe(false);
  });

  it('keeps the fresher of two views: a decision over pending, unlocked over a stale locked copy, then longer-lived links', () => {
    const later = view({ urlsExpireAt: new Date(NOW + 290_000).toISOString() });
    expect(fresherView(view(), later)).toBe(later);
    expect(fresherView(later, view())).toBe(later);
    const pending = view({ state: 'pending', variants: null, urlsExpireAt: null });
    expect(fresherView(pending, view())).toEqual(view());
    expect(fresherView(view(), pending)).toEqual(view());
    const locked = view({ locked: true, variants: { preview: view().variants!.preview! } });
    expect(fresherView(view(), locked)).toEqual(view());
    expect(fresherView(locked, view())).toEqual(view());
    expect(fresherView(undefined, locked)).toBe(locked);
  });
});

describe('a picked file, before anything is sent', () => {
  it('must be a type the kind takes, and not empty; the size is the server’s to judge', () => {
    expect(checkFile('profile_photo', { name: 'me.jpg', type: 'image/jpeg', size: 1000 })).toBeNull();
    expect(checkFile('message_attachment', { name: 'clip.mp4', type: 'video/mp4', size: 1000 })).toBeNull();
    expect(checkFile('profile_photo', { name: 'clip.mp4', type: 'video/mp4', size: 1000 })).toBe('clip.mp4 cannot be used here: MP4 is not supported. Choose a JPEG, PNG, WebP, GIF or AVIF file.');
    expect(checkFile('profile_photo', { name: 'logo.svg', type: 'image/svg+xml', size: 1000 })).toContain('image/svg+xml is not supported');
    expect(checkFile('avatar', { name: 'x', type: '', size: 1000 })).toContain('this kind of file is not supported');
    expect(checkFile('profile_photo', { name: 'me.jpg', type: 'image/jpeg', size: 0 })).toBe('me.jpg is empty. Choose another file.');
    expect(checkFile('profile_photo', { name: 'huge.jpg', type: 'image/jpeg', size: 5 * 1024 ** 3 })).toBeNull();
    expect(allowedTypesText('message_attachment')).toBe('JPEG, PNG, WebP, GIF, AVIF, MP4, MOV or WebM');
  });

  it('says sizes, progress and refusals in words', () => {
    expect(bytesText(512)).toBe('512 bytes');
    expect(bytesText(820 * 1024)).toBe('820 KB');
    expect(bytesText(2.5 * 1024 ** 2)).toBe('2.5 MB');
    expect(bytesText(20 * 1024 ** 2)).toBe('20 MB');
    expect(percentText(0, 0)).toBe('0%');
    expect(percentText(999, 1000)).toBe('99%');
    expect(percentText(2000, 1000)).toBe('100%');
    expect(rejectReasonText('pixel_limit')).toBe('The picture has too many pixels. Use a smaller version.');
    expect(rejectReasonText('something_new')).toBe('It could not be used (something_new).');
    expect(rejectReasonText(null)).toBe('It could not be used.');
    // A moderation refusal names what it saw when it can; an admin's own reason stays the generic sentence.
    expect(refusalText({ rejectReason: 'moderation', moderation: { state: 'rejected', reason: 'nudity', byAdmin: false } })).toBe('Nudity is not allowed in profile photos. Choose another photo.');
    expect(refusalText({ rejectReason: 'moderation', moderation: { state: 'rejected', reason: 'spam', byAdmin: true } })).toBe('It was not approved by our moderators.');
    expect(refusalText({ rejectReason: 'truncated' })).toBe(rejectReasonText('truncated'));
    const tooLarge = new ApiError('PAYLOAD_TOO_LARGE', 'at most', 413, { maxBytes: 20 * 1024 ** 2 });
    expect(uploadErrorText(tooLarge, 25 * 1024 ** 2)).toBe('That file is too large (25 MB): it can be at most 20 MB.');
    expect(uploadErrorText(new ApiError('RATE_LIMITED', 'slow down', 429, undefined, 120))).toBe('Too many attempts. Try again in 2 minutes.');
  });
});

describe('the profile-photo editor', () => {
  const entry = (mediaId: string | null, status: PhotoEntry['status'] = 'ready'): PhotoEntry => ({ key: mediaId ?? 'new', mediaId, status });

  it('moves a photo earlier, later and to the front, within the list', () => {
    const list = ['a', 'b', 'c', 'd'];
    expect(move(list, 2, -1)).toEqual(['a', 'c', 'b', 'd']);
    expect(move(list, 2, 1)).toEqual(['a', 'b', 'd', 'c']);
    expect(move(list, 0, -1)).toEqual(list);
    expect(move(list, 3, 1)).toEqual(list);
    expect(makePrimary(list, 3)).toEqual(['d', 'a', 'b', 'c']);
    expect(makePrimary(list, 0)).toEqual(list);
    expect(list).toEqual(['a', 'b', 'c', 'd']);
  });

  it('saves only what the server has and may show, in order, and only the fields that changed', () => {
    const list = [entry('p2'), entry(null, 'uploading'), entry('p1', 'processing'), entry('bad', 'rejected'), entry('lost', 'failed')];
    expect(savableIds(list)).toEqual(['p2', 'p1']);
    expect(roomLeft(list)).toBe(1);
    expect(roomLeft([...list, entry('x'), entry('y')])).toBe(0);
    const saved = { photos: ['p1', 'p2'], avatar: null, cover: 'c1' };
    expect(photosBody(saved, { ...saved })).toBeNull();
    expect(photosBody(saved, { photos: ['p2', 'p1'], avatar: null, cover: 'c1' })).toEqual({ photos: ['p2', 'p1'] });
    expect(photosBody(saved, { photos: ['p1', 'p2'], avatar: 'a1', cover: null })).toEqual({ avatar: 'a1', cover: null });
  });

  it('reads the saved set from the owner’s profile: an avatar only when one of kind avatar is set', () => {
    const photo = view({ id: 'p1' });
    expect(savedOf({ photos: [photo], avatar: photo, cover: null })).toEqual({ photos: ['p1'], avatar: null, cover: null });
    const avatar = view({ id: 'a1', kind: 'avatar' });
    expect(savedOf({ photos: [photo], avatar, cover: view({ id: 'c1', kind: 'cover' }) })).toEqual({ photos: ['p1'], avatar: 'a1', cover: 'c1' });
    expect([statusOf({ state: 'pending' }), statusOf({ state: 'rejected' }), statusOf({ state: 'uploading' }), statusOf({ state: 'ready' })]).toEqual(['processing', 'rejected', 'uploading', 'ready']);
  });
});

// --- Uploads -----------------------------------------------------------------

interface Sent {
  method: string;
  url: string;
  headers?: Record<string, string>;
  bytes: string;
}

/** Answers the client as Pairly's media routes do (the shapes of test/integration/media.test.ts), scripted per test. */
class ScriptedServer {
  readonly requests: { path: string; method: string; body: unknown }[] = [];
  readonly sent: Sent[] = [];
  readonly listeners = new Set<(p: { media: MediaView }) => void>();
  created: unknown = { media: view({ state: 'uploading', variants: null, urlsExpireAt: null }), upload: { method: 'PUT', url: '/api/media/uploads/tok', headers: { 'content-type': 'image/jpeg' }, expiresAt: 'x' } };
  /** What GET /api/media/:id answers, in turn. */
  polls: MediaView[] = [];
  /** Pushed as media:updated right after the confirm. */
  pushAfterConfirm: MediaView | null = view();
  /** Part uploads refused once with this status before they work. */
  failFirstPartWith: number | null = null;
  /** Resolves the transport's pending send (to cancel an upload mid-way). */
  holdTransport = false;
  held: (() => void) | null = null;

  events: MediaEvents = {
    on: (_e, fn) => this.listeners.add(fn),
    off: (_e, fn) => this.listeners.delete(fn),
  };

  request = async <T>(path: string, opts: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> => {
    const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
    this.requests.push({ path, method, body: opts.body });
    if (path === '/api/media/uploads') {
      if (this.created instanceof ApiError) throw this.created;
      return this.created as T;
    }
    if (path.endsWith('/confirm')) {
      const pushed = this.pushAfterConfirm;
      if (pushed) queueMicrotask(() => this.listeners.forEach((l) => l({ media: pushed })));
      return { media: view({ state: 'pending', variants: null, urlsExpireAt: null }), replayed: false } as T;
    }
    if (path.endsWith('/parts')) {
      const numbers = (opts.body as { partNumbers: number[] }).partNumbers;
      return { parts: numbers.map((n) => ({ partNumber: n, url: `/api/media/uploads/fresh-${n}` })), expiresAt: 'x' } as T;
    }
    if (method === 'GET') {
      const next = this.polls.shift();
      if (!next) throw new Error('no poll answer scripted');
      return { media: next } as T;
    }
    if (method === 'DELETE') return undefined as T;
    throw new Error(`unexpected request ${method} ${path}`);
  };

  transport: Transport = async (req, onProgress, signal) => {
    const bytes = req.body instanceof Blob ? await req.body.text() : `form:${[...(req.body as FormData).keys()].join(',')}`;
    this.sent.push({ method: req.method, url: req.url, headers: req.headers, bytes });
    if (this.holdTransport) {
      const released = new Promise<void>((resolve, reject) => {
        this.held = resolve;
        signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')));
      });
      onProgress(1);
      await released;
    }
    const size = req.body instanceof Blob ? req.body.size : 0;
    onProgress(Math.floor(size / 2));
    onProgress(size);
    if (this.failFirstPartWith && req.url.includes('part-')) {
      const status = this.failFirstPartWith;
      this.failFirstPartWith = null;
      return { status, etag: null, text: JSON.stringify({ error: { code: 'LINK_EXPIRED', message: 'expired' } }) };
    }
    // The embedded server answers an ETag header and {etag} JSON; S3 only the header.
    return { status: 200, etag: req.url.includes('fresh-') ? null : `"etag-${this.sent.length}"`, text: JSON.stringify({ etag: `"json-${this.sent.length}"`, size }) };
  };

  deps(extra: Partial<UploadDeps> = {}): UploadDeps {
    return { request: this.request as UploadDeps['request'], transport: this.transport, events: this.events, sleep: async () => undefined, ...extra };
  }
}

const file = (text: string, type = 'image/jpeg', name = 'photo.jpg') => Object.assign(new Blob([text], { type }), { name });

describe('UploadTask', () => {
  it('sends the bytes with progress, confirms, and is ready when media:updated says so', async () => {
    const server = new ScriptedServer();
    const views: MediaView[] = [];
    const task = new UploadTask(file('0123456789'), 'profile_photo', server.deps({ onView: (m) => views.push(m) }));
    const phases: string[] = [];
    const loaded: number[] = [];
    task.subscribe(() => {
      const s = task.snapshot();
      if (phases.at(-1) !== s.phase) phases.push(s.phase);
      if (s.phase === 'sending') loaded.push(s.loaded);
    });
    const media = await task.done;
    expect(media?.state).toBe('ready');
    expect(phases).toEqual(['sending', 'processing', 'ready']);
    expect(loaded).toEqual([0, 5, 10]);
    expect(server.requests[0]).toEqual({ path: '/api/media/uploads', method: 'POST', body: { kind: 'profile_photo', contentType: 'image/jpeg', size: 10, filename: 'photo.jpg' } });
    expect(server.sent).toEqual([{ method: 'PUT', url: '/api/media/uploads/tok', headers: { 'content-type': 'image/jpeg' }, bytes: '0123456789' }]);
    expect(server.requests.find((r) => r.path.endsWith('/confirm'))?.body).toEqual({});
    // The push may come before the confirm's answer (as here): the page's cache keeps the decision (fresherView).
    expect(views.map((v) => v.state).sort()).toEqual(['pending', 'ready', 'ready', 'uploading']);
    expect(views.at(-1)?.state).toBe('ready');
    // Processed: nobody listens for this item any more.
    expect(server.listeners.size).toBe(0);
  });

  it('posts a form (fields first, then the file) to an S3 target', async () => {
    const server = new ScriptedServer();
    server.created = { media: view({ state: 'uploading', variants: null }), upload: { method: 'POST', url: 'https://bucket.example/', fields: { key: 'ab/x/original', Policy: 'p', 'Content-Type': 'image/jpeg' }, expiresAt: 'x' } };
    await new UploadTask(file('abc'), 'avatar', server.deps()).done;
    expect(server.sent[0]).toMatchObject({ method: 'POST', url: 'https://bucket.example/', bytes: 'form:key,Policy,Content-Type,file' });
  });

  it('sends a large file in parts, keeps each ETag, renews a refused part URL, and confirms every part in order', async () => {
    const server = new ScriptedServer();
    server.created = {
      media: view({ state: 'uploading', variants: null }),
      multipart: { partSize: 4, partCount: 3, parts: [1, 2, 3].map((n) => ({ partNumber: n, url: `/api/media/uploads/part-${n}` })), expiresAt: 'x' },
    };
    server.failFirstPartWith = 410;
    const media = await new UploadTask(file('aaaabbbbcc', 'video/mp4', 'clip.mp4'), 'message_attachment', server.deps()).done;
    expect(media?.state).toBe('ready');
    // Part 1 refused (expired link): fresh URLs for the parts left, and part 1 again.
    expect(server.sent.map((s) => `${s.url}=${s.bytes}`)).toEqual([
      '/api/media/uploads/part-1=aaaa',
      '/api/media/uploads/fresh-1=aaaa',
      '/api/media/uploads/fresh-2=bbbb',
      '/api/media/uploads/fresh-3=cc',
    ]);
    expect(server.requests.find((r) => r.path.endsWith('/parts'))?.body).toEqual({ partNumbers: [1, 2, 3] });
    // The fresh URLs answered no ETag header: the embedded server's JSON {etag} is used.
    expect(server.requests.find((r) => r.path.endsWith('/confirm'))?.body).toEqual({
      parts: [
        { partNumber: 1, etag: '"json-2"' },
        { partNumber: 2, etag: '"json-3"' },
        { partNumber: 3, etag: '"json-4"' },
      ],
    });
  });

  it('asks GET /api/media/:id when no push comes, until processing has decided', async () => {
    const server = new ScriptedServer();
    server.pushAfterConfirm = null;
    server.polls = [view({ state: 'pending', variants: null }), view({ state: 'rejected', variants: null, rejectReason: 'pixel_limit' })];
    const waits: number[] = [];
    const task = new UploadTask(file('x'), 'profile_photo', server.deps({ pollMs: { first: 3000, max: 5000 }, sleep: async (ms) => void waits.push(ms) }));
    const media = await task.done;
    expect(media?.state).toBe('rejected');
    expect(task.snapshot()).toMatchObject({ phase: 'rejected', message: 'The picture has too many pixels. Use a smaller version.' });
    expect(waits).toEqual([3000, 5000]);
    expect(server.listeners.size).toBe(0);
  });

  it('cancelled while sending: the request is aborted and the item deleted', async () => {
    const server = new ScriptedServer();
    server.holdTransport = true;
    const task = new UploadTask(file('0123456789'), 'message_attachment', server.deps());
    await new Promise<void>((resolve) => {
      const off = task.subscribe(() => {
        if (task.snapshot().phase === 'sending' && server.held) {
          off();
          resolve();
        }
      });
    });
    task.cancel();
    expect(await task.done).toBeNull();
    expect(task.snapshot().phase).toBe('cancelled');
    expect(server.requests.at(-1)).toEqual({ path: `/api/media/${ID}`, method: 'DELETE', body: undefined });
    expect(server.requests.some((r) => r.path.endsWith('/confirm'))).toBe(false);
  });

  it('a refusal is said in words and nothing is sent; a file of the wrong type never reaches the server', async () => {
    const server = new ScriptedServer();
    server.created = new ApiError('PAYLOAD_TOO_LARGE', 'too big', 413, { maxBytes: 1024 });
    const task = new UploadTask(file('x'.repeat(2048)), 'profile_photo', server.deps());
    expect(await task.done).toBeNull();
    expect(task.snapshot()).toEqual({ phase: 'failed', mediaId: null, code: 'PAYLOAD_TOO_LARGE', message: 'That file is too large (2 KB): it can be at most 1 KB.' });
    expect(server.sent).toEqual([]);

    const other = new ScriptedServer();
    const wrong = new UploadTask(file('<svg/>', 'image/svg+xml', 'logo.svg'), 'profile_photo', other.deps());
    expect(await wrong.done).toBeNull();
    expect(wrong.snapshot()).toMatchObject({ phase: 'failed', code: 'INVALID_FILE' });
    expect(other.requests).toEqual([]);
  });
});
