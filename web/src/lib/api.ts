import { isErrorCode, type ErrorBody, type ErrorCode } from '../../../shared/errors.js';

/** A failure the server described with the one error contract (shared/errors.ts), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly status: number,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toApiError(body: unknown, status: number, retryAfterHeader?: string | null): ApiError {
  const e = (body as { error?: Partial<ErrorBody> } | null)?.error;
  const retry = e?.retryAfterSeconds ?? (retryAfterHeader ? Number(retryAfterHeader) : undefined);
  if (e && isErrorCode(e.code)) return new ApiError(e.code, e.message ?? e.code, status, e.details, Number.isFinite(retry) ? retry : undefined);
  return new ApiError(status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED', `The server answered ${status}`, status);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Sent as Idempotency-Key (payments, adjustments). */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** 'text': a successful body is returned as text (a CSV export), errors still parsed as JSON. */
  as?: 'json' | 'text';
}

/** The access token source; the session layer installs one that refreshes before expiry. */
let tokenSource: (() => Promise<string | null>) | null = null;
let onUnauthenticated: (() => void) | null = null;

export function setTokenSource(source: (() => Promise<string | null>) | null, unauthenticated: (() => void) | null): void {
  tokenSource = source;
  onUnauthenticated = unauthenticated;
}

/** JSON over fetch with the bearer token; every failure is an ApiError with the server's code. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = tokenSource ? await tokenSource() : null;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('NETWORK', 'Pairly cannot be reached. Check your connection and try again.', 0);
  }
  if (res.status === 204) return undefined as T;
  if (opts.as === 'text' && res.ok) return (await res.text()) as T;
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const error = toApiError(body, res.status, res.headers.get('retry-after'));
    if (token && (error.code === 'SESSION_REVOKED' || error.code === 'TOKEN_REUSED' || error.code === 'UNAUTHENTICATED' || error.code === 'INVALID_TOKEN')) {
      onUnauthenticated?.();
    }
    throw error;
  }
  return body as T;
}

/** A fresh Idempotency-Key for one user intent (reuse it when retrying that same intent). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
