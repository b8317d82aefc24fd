import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { SessionView } from '../../shared/auth.js';
import { connect, http, newUser, nextEvent, waitFor } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * The sessions a person can see in Settings: GET /api/auth/sessions lists their
 * own live sessions (the asking one marked current), and DELETE
 * /api/auth/sessions/:id logs one out through the same path as logout.
 */

let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  // Workers in this process so the audit entry is written by its job.
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true' });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const login = (email: string, password: string, userAgent: string) =>
  http(url, 'POST', '/api/auth/login', { body: { email, password }, headers: { 'user-agent': userAgent } });
const list = async (token: string) => {
  const res = await http<{ sessions: SessionView[] }>(url, 'GET', '/api/auth/sessions', { token });
  expect(res.status).toBe(200);
  return res.body.sessions;
};

describe('GET /api/auth/sessions', () => {
  it("lists the caller's live sessions with their times and user agents, the caller's marked current", async () => {
    const u = await newUser(url);
    const phone = await login(u.user.email, u.password, 'PhoneBrowser/1.0');
    const laptop = await login(u.user.email, u.password, 'LaptopBrowser/2.0');
    const stranger = await newUser(url);

    const seen = await list(phone.body.accessToken);
    expect(seen).toHaveLength(3);
    const agents = seen.map((s) => s.userAgent);
    expect(agents).toEqual(expect.arrayContaining(['PhoneBrowser/1.0', 'LaptopBrowser/2.0']));
    expect(seen.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['PhoneBrowser/1.0']);
    for (const s of seen) {
      expect(Date.parse(s.createdAt)).not.toBeNaN();
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    }
    // Another person's sessions never show.
    expect((await list(stranger.accessToken)).map((s) => s.id)).not.toEqual(expect.arrayContaining(seen.map((s) => s.id)));
    expect(await list(stranger.accessToken)).toHaveLength(1);

    // A logged-out session is not live any more.
    expect((await http(url, 'POST', '/api/auth/logout', { token: laptop.body.accessToken })).status).toBe(204);
    expect((await list(phone.body.accessToken)).map((s) => s.userAgent)).not.toContain('LaptopBrowser/2.0');
  });

  it('leaves out a session whose refresh tokens have all expired', async () => {
    const u = await newUser(url);
    const old = await login(u.user.email, u.password, 'OldBrowser/0.1');
    const [row] = await pgQuery<{ session_id: string }>(
      backing.databaseUrl,
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 minute'
       WHERE session_id = (SELECT id FROM sessions WHERE user_id = $1 AND user_agent = 'OldBrowser/0.1') RETURNING session_id`,
      [u.user.id],
    );
    expect(row).toBeDefined();
    const seen = await list(u.accessToken);
    expect(seen.map((s) => s.id)).not.toContain(row!.session_id);
    expect(seen).toHaveLength(1);
    expect(old.status).toBe(200);
  });

  it('needs a token', async () => {
    const res = await http(url, 'GET', '/api/auth/sessions');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});

describe('DELETE /api/auth/sessions/:id', () => {
  it('logs out another device: its tokens are refused, its socket is closed, the caller carries on', async () => {
    const u = await newUser(url);
    const other = await login(u.user.email, u.password, 'OtherDevice/1.0');
    const target = (await list(u.accessToken)).find((s) => s.userAgent === 'OtherDevice/1.0')!;
    const socket = await connect(url, other.body.accessToken);
    const revoked = nextEvent<{ reason: string }>(socket, 'auth:revoked');
    const disconnected = nextEvent<string>(socket, 'disconnect');

    const res = await http(url, 'DELETE', `/api/auth/sessions/${target.id}`, { token: u.accessToken });
    expect(res.status).toBe(204);
    expect((await revoked).reason).toBe('logout');
    expect(await disconnected).toBe('io server disconnect');
    expect((await http(url, 'GET', '/api/me', { token: other.body.accessToken })).body.error.code).toBe('SESSION_REVOKED');
    expect((await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: other.body.refreshToken } })).body.error.code).toBe('SESSION_REVOKED');

    expect((await list(u.accessToken)).map((s) => s.id)).not.toContain(target.id);
    expect((await http(url, 'GET', '/api/me', { token: u.accessToken })).status).toBe(200);
    // Again: the session is the caller's, already logged out; nothing changes.
    expect((await http(url, 'DELETE', `/api/auth/sessions/${target.id}`, { token: u.accessToken })).status).toBe(204);

    const audit = await waitFor(async () => {
      const rows = await pgQuery<{ actor_id: string; meta: { sessionId: string; own: boolean } }>(
        backing.databaseUrl,
        `SELECT actor_id, meta FROM audit_log WHERE action = 'auth.session_revoked' AND key = $1`,
        [`session_revoked:${target.id}`],
      );
      return rows[0];
    }, 10_000, 'the audit entry');
    expect(audit).toEqual({ actor_id: u.user.id, meta: { sessionId: target.id, own: false } });
  });

  it('logs out the current session too', async () => {
    const u = await newUser(url);
    const [mine] = await list(u.accessToken);
    expect(mine!.current).toBe(true);
    expect((await http(url, 'DELETE', `/api/auth/sessions/${mine!.id}`, { token: u.accessToken })).status).toBe(204);
    expect((await http(url, 'GET', '/api/me', { token: u.accessToken })).body.error.code).toBe('SESSION_REVOKED');
  });

  it("answers NOT_FOUND for another user's session and for an unknown one, and leaves them alone", async () => {
    const u = await newUser(url);
    const victim = await newUser(url);
    const [theirs] = await list(victim.accessToken);
    const res = await http(url, 'DELETE', `/api/auth/sessions/${theirs!.id}`, { token: u.accessToken });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await http(url, 'GET', '/api/me', { token: victim.accessToken })).status).toBe(200);
    expect((await http(url, 'DELETE', `/api/auth/sessions/${randomUUID()}`, { token: u.accessToken })).status).toBe(404);
    expect((await http(url, 'DELETE', '/api/auth/sessions/not-a-uuid', { token: u.accessToken })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await http(url, 'DELETE', `/api/auth/sessions/${theirs!.id}`)).status).toBe(401);
  });
});
