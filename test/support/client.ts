import { io, type Socket } from 'socket.io-client';
import { randomBytes } from 'node:crypto';
import type { AuthResult } from '../../shared/auth.js';
import type { WhoCanMessage } from '../../shared/profiles.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small REST client for tests: JSON in, JSON out, never throws on a status. */
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const STRONG_PASSWORD = 'Sturdy-Password-42';

let counter = 0;
/** Data factory: a fresh adult user through the real signup endpoint, then logged in as a client does after signing up. */
export async function newUser(
  baseUrl: string,
  { whoCanMessage = 'everyone', ...overrides }: Partial<{ email: string; password: string; displayName: string; birthdate: string; role: 'fan' | 'creator'; whoCanMessage: WhoCanMessage }> = {},
): Promise<AuthResult & { password: string }> {
  const body = {
    email: `user${++counter}.${randomBytes(4).toString('hex')}@example.test`,
    password: STRONG_PASSWORD,
    displayName: `User ${counter}`,
    birthdate: '1995-06-15',
    role: 'fan' as const,
    ...overrides,
  };
  const res = await http(baseUrl, 'POST', '/api/auth/signup', { body });
  if (res.status !== 202) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  const session = await logIn(baseUrl, body.email, body.password);
  await allowMessages(baseUrl, session.accessToken, whoCanMessage);
  return { ...session, password: body.password };
}

/** Logs in through the real endpoint; throws on anything but a session. */
export async function logIn(baseUrl: string, email: string, password: string, headers: Record<string, string> = {}): Promise<AuthResult> {
  const res = await http<AuthResult>(baseUrl, 'POST', '/api/auth/login', { body: { email, password }, headers });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A new account takes messages and calls only from its matches. Most tests are about what happens
 * once people talk, so their users allow everyone unless the test asks for the default
 * (`whoCanMessage: 'matches'`, as the consent tests do).
 */
export async function allowMessages(baseUrl: string, token: string, whoCanMessage: WhoCanMessage): Promise<void> {
  if (whoCanMessage === 'matches') return;
  const res = await http(baseUrl, 'PUT', '/api/profile/preferences', { token, body: { whoCanMessage } });
  if (res.status !== 200) throw new Error(`setting whoCanMessage failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Connects and resolves once connected; rejects with the connect_error (its data.code). */
export function connect(
  baseUrl: string,
  token: string | undefined,
  opts: Partial<Parameters<typeof io>[1]> = {},
): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const socket: ClientSocket = io(baseUrl, {
      path: '/socket.io',
      auth: token === undefined ? {} : { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 10_000,
      ...opts,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Resolves with the first payload of `event`, or rejects after ms. */
export function nextEvent<T = unknown>(socket: { once: Function; off: Function }, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const handler = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, handler);
  });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Confirms a user's email the way its owner does: the link of the verification mail, read from the node's
 * local outbox (GET /api/mail/outbox: nodes without SMTP_URL), never from the database.
 */
export async function verifyEmail(baseUrl: string, email: string): Promise<void> {
  const token = await waitFor(async () => {
    const res = await http<{ mails: { to: string; links: string[] }[] }>(baseUrl, 'GET', '/api/mail/outbox');
    if (res.status !== 200) throw new Error(`outbox: ${res.status} ${JSON.stringify(res.body)}`);
    const link = res.body.mails.filter((m) => m.to === email).flatMap((m) => m.links.map((l) => new URL(l))).find((u) => u.pathname === '/verify-email');
    return link?.searchParams.get('token') ?? undefined;
  }, 10_000, `the verification mail to ${email}`);
  const res = await http(baseUrl, 'POST', '/api/auth/verify-email', { body: { token } });
  if (res.status !== 200) throw new Error(`verify-email: ${res.status} ${JSON.stringify(res.body)}`);
}
