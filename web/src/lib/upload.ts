import type { CreateUploadResult, MediaKind, MediaView, MultipartTarget, UploadTarget } from '../../../shared/media.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { ApiError, toApiError, type RequestOptions } from './api.js';
import { errorText } from './error-text.js';
import { bytesText, checkFile, refusalText } from './media-files.js';

/**
 * One upload from the browser, start to finish:
 *
 *   POST /api/media/uploads {kind, contentType, size, filename}
 *     ├─ upload:    PUT the bytes (embedded) or POST a form with `fields` then `file` (S3), with progress
 *     └─ multipart: PUT each part (partSize bytes) to its URL, keeping each ETag; a lost or expired
 *                   part URL is renewed with POST /api/media/:id/parts and the part sent again
 *   POST /api/media/:id/confirm {parts?}  → pending
 *   media:updated {media} on the socket (ready | rejected), or GET /api/media/:id when no push comes
 *
 * An `UploadTask` is a small store the page renders from
 * (useSyncExternalStore), so an upload outlives the component that shows it
 * and runs exactly once (React's strict mode mounts effects twice). No
 * React here; the network (XMLHttpRequest, for upload progress) and the
 * socket are passed in, so unit tests drive it without a browser.
 */

export type UploadState =
  | { phase: 'starting' }
  | { phase: 'sending'; mediaId: string; loaded: number; total: number }
  | { phase: 'processing'; mediaId: string }
  | { phase: 'ready'; media: MediaView }
  | { phase: 'rejected'; media: MediaView; message: string }
  | { phase: 'failed'; mediaId: string | null; message: string; code: ErrorCode | 'NETWORK' | 'INVALID_FILE' }
  | { phase: 'cancelled' };

/** One HTTP request that sends bytes, reporting how many went (XMLHttpRequest in the browser). */
export type Transport = (
  req: { method: 'PUT' | 'POST'; url: string; headers?: Record<string, string>; body: Blob | FormData },
  onProgress: (loaded: number) => void,
  signal: AbortSignal,
) => Promise<{ status: number; etag: string | null; text: string }>;

/** Where `media:updated` arrives (the app's socket). */
export interface MediaEvents {
  on(event: 'media:updated', fn: (p: { media: MediaView }) => void): unknown;
  off(event: 'media:updated', fn: (p: { media: MediaView }) => void): unknown;
}

export interface UploadDeps {
  /** JSON requests to Pairly (lib/api.ts's `api`). */
  request: <T>(path: string, opts?: RequestOptions) => Promise<T>;
  transport: Transport;
  events: MediaEvents | null;
  /** Every view the upload learns (created, pending, ready, rejected): the page puts it in its cache. */
  onView?: (media: MediaView) => void;
  /** When to ask GET /api/media/:id if no push said the item was processed: after the first wait, then further apart. */
  pollMs?: { first: number; max: number };
  /** setTimeout, replaceable in tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const DEFAULT_POLL = { first: 4_000, max: 15_000 };
/** Tries per part (a dropped connection, an expired URL) before the upload fails. */
const PART_TRIES = 3;

export class UploadTask {
  private state: UploadState = { phase: 'starting' };
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private mediaId: string | null = null;
  /** Settles with the processed item (ready or rejected), or null when the upload failed or was cancelled. */
  readonly done: Promise<MediaView | null>;

  constructor(
    readonly file: Blob & { name: string },
    readonly kind: MediaKind,
    private readonly deps: UploadDeps,
  ) {
    this.done = this.run();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): UploadState => this.state;

  /** Stops the upload; an item already created is deleted (nothing half-sent is left behind). */
  cancel(): void {
    if (this.state.phase === 'ready' || this.state.phase === 'rejected' || this.state.phase === 'failed' || this.state.phase === 'cancelled') return;
    this.abort.abort();
    this.set({ phase: 'cancelled' });
    if (this.mediaId) void this.deps.request(`/api/media/${this.mediaId}`, { method: 'DELETE' }).catch(() => undefined);
  }

  private set(state: UploadState): void {
    if (this.state.phase === 'cancelled') return;
    this.state = state;
    for (const l of [...this.listeners]) l();
  }

  private async run(): Promise<MediaView | null> {
    const problem = checkFile(this.kind, { name: this.file.name, type: this.file.type, size: this.file.size });
    if (problem) {
      this.set({ phase: 'failed', mediaId: null, message: problem, code: 'INVALID_FILE' });
      return null;
    }
    const signal = this.abort.signal;
    let processed: ReturnType<UploadTask['waitProcessed']> | undefined;
    try {
      const created = await this.deps.request<CreateUploadResult>('/api/media/uploads', {
        body: { kind: this.kind, contentType: this.file.type, size: this.file.size, filename: this.file.name || undefined },
        signal,
      });
      this.mediaId = created.media.id;
      this.deps.onView?.(created.media);
      this.set({ phase: 'sending', mediaId: created.media.id, loaded: 0, total: this.file.size });
      const parts = 'multipart' in created ? await this.sendParts(created.media.id, created.multipart, signal) : (await this.sendWhole(created.upload, signal), undefined);
      // Listening before the confirm: processing starts with it and may finish before its answer arrives.
      processed = this.waitProcessed(created.media.id, signal);
      const confirmed = await this.deps.request<{ media: MediaView }>(`/api/media/${created.media.id}/confirm`, { body: parts ? { parts } : {}, signal });
      this.deps.onView?.(confirmed.media);
      this.set({ phase: 'processing', mediaId: created.media.id });
      const media = decided(confirmed.media) ? confirmed.media : await processed.wait();
      this.deps.onView?.(media);
      if (media.state === 'ready') this.set({ phase: 'ready', media });
      else if (media.state === 'rejected') this.set({ phase: 'rejected', media, message: refusalText(media) });
      else this.set({ phase: 'failed', mediaId: media.id, message: 'It was removed before it could be used.', code: 'NOT_FOUND' });
      return media;
    } catch (err) {
      if (signal.aborted) return null;
      const e = err instanceof ApiError ? err : new ApiError('NETWORK', String(err), 0);
      this.set({ phase: 'failed', mediaId: this.mediaId, message: uploadErrorText(e, this.file.size), code: e.code });
      return null;
    } finally {
      processed?.stop();
    }
  }

  private async sendWhole(target: UploadTarget, signal: AbortSignal): Promise<void> {
    const body =
      target.method === 'PUT'
        ? this.file
        : formOf(target.fields ?? {}, this.file);
    const res = await this.deps.transport({ method: target.method, url: target.url, headers: target.headers, body }, (loaded) => this.progress(loaded), signal);
    if (res.status < 200 || res.status >= 300) throw transportError(res);
    this.progress(this.file.size);
  }

  /** Each part in turn (one at a time keeps the progress honest and the connection free for the page). */
  private async sendParts(mediaId: string, m: MultipartTarget, signal: AbortSignal): Promise<{ partNumber: number; etag: string }[]> {
    const urls = new Map(m.parts.map((p) => [p.partNumber, p.url]));
    const done: { partNumber: number; etag: string }[] = [];
    for (let n = 1; n <= m.partCount; n++) {
      const start = (n - 1) * m.partSize;
      const blob = this.file.slice(start, Math.min(start + m.partSize, this.file.size));
      for (let attempt = 1; ; attempt++) {
        let url = urls.get(n);
        if (!url || attempt > 1) {
          // A part URL the first answer did not carry, or one that failed: fresh ones for the rest of the upload.
          const missing = Array.from({ length: m.partCount - n + 1 }, (_, i) => n + i).slice(0, 1000);
          const fresh = await this.deps.request<{ parts: { partNumber: number; url: string }[] }>(`/api/media/${mediaId}/parts`, { body: { partNumbers: missing }, signal });
          for (const p of fresh.parts) urls.set(p.partNumber, p.url);
          url = urls.get(n);
          if (!url) throw new ApiError('UPLOAD_INCOMPLETE', `no URL for part ${n}`, 409);
        }
        try {
          const res = await this.deps.transport({ method: 'PUT', url, body: blob }, (loaded) => this.progress(start + loaded), signal);
          if (res.status < 200 || res.status >= 300) throw transportError(res);
          const etag = res.etag ?? etagOf(res.text);
          if (!etag) throw new ApiError('UPLOAD_INCOMPLETE', `part ${n} was stored without an ETag`, 409);
          done.push({ partNumber: n, etag });
          break;
        } catch (err) {
          if (signal.aborted || attempt >= PART_TRIES || !retryablePart(err)) throw err;
        }
      }
      this.progress(Math.min(start + m.partSize, this.file.size));
    }
    return done;
  }

  private progress(loaded: number): void {
    if (this.state.phase !== 'sending') return;
    const next = Math.min(loaded, this.state.total);
    if (next !== this.state.loaded) this.set({ ...this.state, loaded: next });
  }

  /**
   * Waits for the item to be processed: the owner's socket gets
   * `media:updated`; when none comes (a socket reconnecting, a push lost),
   * GET /api/media/:id is asked after a few seconds, then further apart.
   */
  private waitProcessed(id: string, signal: AbortSignal): { wait: () => Promise<MediaView>; stop: () => void } {
    let resolve!: (m: MediaView) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<MediaView>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const onEvent = ({ media }: { media: MediaView }) => {
      if (media.id !== id) return;
      this.deps.onView?.(media);
      if (decided(media)) resolve(media);
    };
    this.deps.events?.on('media:updated', onEvent);
    const stop = () => this.deps.events?.off('media:updated', onEvent);
    const poll = this.deps.pollMs ?? DEFAULT_POLL;
    const sleep = this.deps.sleep ?? sleepFor;
    let settled = false;
    const end = () => {
      settled = true;
    };
    result.then(end, end);
    const polling = async () => {
      let wait = poll.first;
      while (!settled) {
        await sleep(wait, signal);
        if (settled) return;
        try {
          const { media } = await this.deps.request<{ media: MediaView }>(`/api/media/${id}`, { signal });
          this.deps.onView?.(media);
          if (decided(media)) return resolve(media);
        } catch (err) {
          // A blip (no connection, a server restarting) is asked again; a refusal for good (deleted meanwhile) ends the wait.
          if (!(err instanceof ApiError) || !['NETWORK', 'NOT_READY', 'SHUTTING_DOWN', 'RATE_LIMITED', 'INTERNAL'].includes(err.code)) throw err;
        }
        wait = Math.min(wait * 2, poll.max);
      }
    };
    return {
      wait: () => {
        signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')), { once: true });
        polling().catch(reject);
        return result.finally(stop);
      },
      stop,
    };
  }
}

/** Processing has said its word. */
const decided = (m: MediaView) => m.state === 'ready' || m.state === 'rejected' || m.state === 'deleted';

function formOf(fields: Record<string, string>, file: Blob): FormData {
  // S3's POST policy: the fields first, as given, then the file.
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', file);
  return form;
}

function transportError(res: { status: number; text: string }): ApiError {
  let body: unknown = null;
  try {
    body = JSON.parse(res.text);
  } catch {
    // S3 answers XML: the status says enough.
  }
  if (res.status === 0) return new ApiError('NETWORK', 'the upload was interrupted', 0);
  const e = toApiError(body, res.status);
  // A store's own refusal (S3's 403 for an expired policy, 400 for a size outside it) has no Pairly code.
  if (body === null && res.status === 403) return new ApiError('LINK_EXPIRED', 'the upload link was refused', 403);
  if (body === null && res.status === 413) return new ApiError('PAYLOAD_TOO_LARGE', 'the store refused the size', 413);
  return e;
}

function etagOf(text: string): string | null {
  try {
    const etag = (JSON.parse(text) as { etag?: unknown }).etag;
    return typeof etag === 'string' ? etag : null;
  } catch {
    return null;
  }
}

function retryablePart(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'NETWORK' || err.code === 'LINK_EXPIRED' || err.code === 'INVALID_SIGNATURE' || err.status >= 500);
}

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('cancelled', 'AbortError'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DOMException('cancelled', 'AbortError'));
      },
      { once: true },
    );
  });
}

/** Why an upload did not go through, in words, with the limit when the server gave one. */
export function uploadErrorText(err: ApiError, size?: number): string {
  switch (err.code) {
    case 'PAYLOAD_TOO_LARGE': {
      const max = (err.details as { maxBytes?: unknown } | undefined)?.maxBytes;
      if (typeof max === 'number') return `That file is too large${size ? ` (${bytesText(size)})` : ''}: it can be at most ${bytesText(max)}.`;
      return 'That file is too large.';
    }
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'That kind of file cannot be used here. Choose a photo (or, in chats, a video).';
    case 'UPLOAD_INCOMPLETE':
      return 'The file did not arrive completely. Try again.';
    case 'UPLOAD_EXPIRED':
      return 'The upload took too long. Try again.';
    case 'LINK_EXPIRED':
      return 'The upload link expired. Try again.';
    default:
      return errorText(err);
  }
}
