import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaView } from '../../shared/media.js';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { jpegWithGps, processed, uploadAndConfirm } from '../support/media.js';
import { createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { codeAt, enrolTwoFactor } from '../support/two-factor.js';

/**
 * Account deletion and data export (#18) on real PostgreSQL and Redis, with the embedded media storage
 * and the local mail outbox. ACCOUNT_ERASE_DELAY_HOURS=0: the erase job runs as soon as it is queued,
 * so a test sees both the account closed at once and its data anonymised.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
const data = tempDir('erasure');
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', PAIRLY_DATA_DIR: data.path, MEDIA_STORAGE: 'local', ACCOUNT_ERASE_DELAY_HOURS: '0', PAYMENTS_SANDBOX: 'true' });
  url = node.url;
}, 90_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
  data.remove();
});

const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
const say = async (s: ClientSocket, toUserId: string, body: string) => {
  const r = await (s as any).timeout(10_000).emitWithAck('chat:send', { clientId: randomUUID(), toUserId, body });
  expect(r.ok).toBe(true);
  return r.message as { id: string; conversationId: string };
};
const users = () => node.pairly.services.users;

describe('DELETE /api/me', () => {
  it('logs out at once, refuses the login, and the erase anonymises while peers, wallet and ledger keep theirs', async () => {
    const peer = await newUser(url, { role: 'creator' });
    const me = await newUser(url);
    // A profile picture whose file must go, a conversation the peer keeps, a wallet the ledger keeps.
    const { id: photoId } = await uploadAndConfirm(url, me.accessToken, 'profile_photo', 'image/jpeg', await jpegWithGps(320, 240));
    const photo: MediaView = await processed(url, me.accessToken, photoId);
    expect((await http(url, 'PUT', '/api/profile/photos', { token: me.accessToken, body: { photos: [photoId] } })).status).toBe(200);
    expect((await http(url, 'PUT', '/api/profile', { token: me.accessToken, body: { bio: 'I like long walks' } })).status).toBe(200);
    const fileUrl = new URL(Object.values(photo.variants!)[0]!.url, url);
    expect((await fetch(fileUrl)).status).toBe(200);
    const socket = await open(me.accessToken);
    const sent = await say(socket, peer.user.id, 'hello from someone leaving');
    await fund(node.pairly, me.user.id, 40);

    const wrong = await http(url, 'DELETE', '/api/me', { token: me.accessToken, body: { password: 'not-my-password-1' } });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'INVALID_CREDENTIALS']);

    const riskRows = async () => (await pgQuery<{ n: number }>(backing.databaseUrl, `SELECT count(*)::int AS n FROM risk_logins WHERE user_id = $1`, [me.user.id]))[0]!.n;
    expect(await riskRows()).toBeGreaterThan(0);
    await node.pairly.services.notifications.notify(me.user.id, { kind: 'like', subject: peer.user.id });
    const notificationRows = async () => (await pgQuery<{ n: number }>(backing.databaseUrl, `SELECT count(*)::int AS n FROM notifications WHERE user_id = $1`, [me.user.id]))[0]!.n;
    expect(await notificationRows()).toBeGreaterThan(0);
    const gone = nextEvent(socket, 'disconnect');
    const res = await http(url, 'DELETE', '/api/me', { token: me.accessToken, body: { password: me.password } });
    expect(res.status).toBe(202);
    expect(Date.parse(res.body.eraseAfter)).not.toBeNaN();
    await gone;

    expect((await http(url, 'GET', '/api/me', { token: me.accessToken })).body.error.code).toBe('SESSION_REVOKED');
    expect((await http(url, 'POST', '/api/auth/refresh', { body: { refreshToken: me.refreshToken } })).status).toBe(401);
    const login = await http(url, 'POST', '/api/auth/login', { body: { email: me.user.email, password: me.password } });
    expect([login.status, login.body.error.code]).toEqual([401, 'INVALID_CREDENTIALS']);
    expect((await http(url, 'GET', `/api/users/${me.user.id}/profile`, { token: peer.accessToken })).status).toBe(404);

    // The address is freed at once; the erase job's mark is erased_at.
    const erased = await waitFor(async () => {
      const [done] = await pgQuery(backing.databaseUrl, `SELECT 1 FROM users WHERE id = $1 AND erased_at IS NOT NULL`, [me.user.id]);
      return done ? users().findById(me.user.id) : undefined;
    }, 20_000, 'the erase job');
    expect(erased).toMatchObject({ email: `deleted-${me.user.id}@invalid`, display_name: 'Deleted user', status: 'deleted', birthdate: '1995-01-01', email_verified_at: null });
    // The sign-in history risk scoring kept (addresses, devices) went with it.
    expect(await riskRows()).toBe(0);
    expect(await notificationRows()).toBe(0);
    expect(await waitFor(async () => ((await fetch(fileUrl)).status === 404 ? 'gone' : undefined), 10_000, 'the photo file to go')).toBe('gone');

    // The peer's conversation stays, the message shown as from "Deleted user".
    const list = await http(url, 'GET', '/api/conversations', { token: peer.accessToken });
    const conv = list.body.conversations.find((c: { id: string }) => c.id === sent.conversationId);
    expect(conv.peer).toMatchObject({ id: me.user.id, displayName: 'Deleted user' });
    const history = await http(url, 'GET', `/api/conversations/${sent.conversationId}/messages`, { token: peer.accessToken });
    expect(history.body.messages.map((m: { body: string }) => m.body)).toContain('hello from someone leaving');

    // Money is never deleted: the wallet keeps its balance and the ledger still verifies.
    expect((await node.pairly.services.ledger.balance(me.user.id)).available).toBe(40);
    expect((await node.pairly.services.ledger.verify()).ok).toBe(true);

    // Analytics keep the account's events under the anonymised id (README, Analytics: past days' figures do
    // not move), and nothing in them names the person.
    const events = await waitFor(async () => {
      const rows = await pgQuery<{ kind: string; props: unknown }>(backing.databaseUrl, `SELECT kind, props FROM analytics_events WHERE user_id = $1`, [me.user.id]);
      return rows.some((r) => r.kind === 'signup') && rows.some((r) => r.kind === 'message') && rows;
    }, 10_000, 'the account\'s analytics events');
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['signup', 'login', 'message']));
    const said = JSON.stringify(events);
    for (const personal of [me.user.email, me.user.displayName, 'I like long walks']) expect(said).not.toContain(personal);

  });

  it('keeps the data for the delay, but frees the address at once', async () => {
    // A node of the same deployment with the default delay: its erase job waits 72 hours.
    const slow = await startInProcess({ ...backing.env, RUN_WORKERS: 'false' });
    try {
      const me = await newUser(slow.url, { displayName: 'Still Here' });
      expect((await http(slow.url, 'DELETE', '/api/me', { token: me.accessToken, body: { password: me.password } })).status).toBe(202);
      const again = await newUser(slow.url, { email: me.user.email });
      expect(again.user.id).not.toBe(me.user.id);
      expect(await slow.pairly.services.deletion.sweep()).toBe(0);
      expect(await users().findById(me.user.id)).toMatchObject({ status: 'deleted', display_name: 'Still Here', email: `deleted-${me.user.id}@invalid` });
    } finally {
      await slow.stop();
    }
  });

  it('asks for a second factor when two-factor sign-in is on', async () => {
    const me = await newUser(url);
    const { secret } = await enrolTwoFactor(url, me.accessToken);
    const without = await http(url, 'DELETE', '/api/me', { token: me.accessToken, body: { password: me.password } });
    expect([without.status, without.body.error.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
    expect((await users().findById(me.user.id))?.status).toBe('active');
    const res = await http(url, 'DELETE', '/api/me', { token: me.accessToken, body: { password: me.password, code: codeAt(secret, 1) } });
    expect(res.status).toBe(202);
    expect((await users().findById(me.user.id))?.status).toBe('deleted');
  });
});

describe('data export', () => {
  it('builds an archive of the owner\'s own data, mails them, and lets nobody else download it', async () => {
    const me = await newUser(url);
    const peer = await newUser(url);
    const mine = await open(me.accessToken);
    const theirs = await open(peer.accessToken);
    const sent = await say(mine, peer.user.id, 'my own words');
    await say(theirs, me.user.id, 'the peer private words');
    await fund(node.pairly, me.user.id, 15);

    const res = await http(url, 'POST', '/api/me/export', { token: me.accessToken });
    expect([res.status, res.body.export?.readyAt, res.body.error]).toEqual([202, null, undefined]);
    const second = await http(url, 'POST', '/api/me/export', { token: me.accessToken });
    expect([second.status, second.body.error.code]).toEqual([429, 'RATE_LIMITED']);

    const ready = await waitFor(async () => {
      const list = await http(url, 'GET', '/api/me/exports', { token: me.accessToken });
      return list.body.exports.find((e: { id: string; readyAt: string | null }) => e.id === res.body.export.id && e.readyAt);
    }, 20_000, 'the export');
    expect(ready.expiresAt > ready.readyAt).toBe(true);

    const download = await http(url, 'GET', `/api/me/exports/${ready.id}`, { token: me.accessToken });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="pairly-export-/);
    const archive = download.body;
    expect(archive.account).toMatchObject({ id: me.user.id, email: me.user.email });
    const conv = archive.conversations.find((c: { id: string }) => c.id === sent.conversationId);
    expect(conv.messages.map((m: { body: string }) => m.body)).toEqual(['my own words']);
    expect(archive.transfers.some((t: { amount: number }) => t.amount === 15)).toBe(true);
    // Nobody else's data: not the peer's words, not their address.
    const text = JSON.stringify(archive);
    expect(text).not.toContain('the peer private words');
    expect(text).not.toContain(peer.user.email);

    const stranger = await http(url, 'GET', `/api/me/exports/${ready.id}`, { token: peer.accessToken });
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await http(url, 'GET', '/api/me/exports', { token: peer.accessToken })).body.exports).toEqual([]);

    const mail = await waitFor(async () => {
      const outbox = await http<{ mails: { to: string; subject: string }[] }>(url, 'GET', '/api/mail/outbox');
      return outbox.body.mails.find((m) => m.to === me.user.email && m.subject === 'Your Pairly data export is ready');
    }, 10_000, 'the export mail');
    expect(mail).toBeDefined();
  });
});

describe('data export of a creator', () => {
  it('holds their own posts with their media ids, their payments, and their media items with where to get the files', async () => {
    const me = await newUser(url, { role: 'creator' });
    const { id: photoId } = await uploadAndConfirm(url, me.accessToken, 'post_media', 'image/jpeg', await jpegWithGps(320, 240));
    expect((await processed(url, me.accessToken, photoId)).state).toBe('ready');
    const post = await http(url, 'POST', '/api/posts', { token: me.accessToken, body: { body: 'my first post', mediaIds: [photoId], visibility: { kind: 'free' } } });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    const pay = await http(url, 'POST', '/api/payments/checkout', { token: me.accessToken, body: { packId: 'starter', provider: 'sandbox' }, headers: { 'idempotency-key': randomUUID() } });
    expect(pay.status, JSON.stringify(pay.body)).toBe(201);

    const res = await http(url, 'POST', '/api/me/export', { token: me.accessToken });
    const ready = await waitFor(async () => {
      const list = await http(url, 'GET', '/api/me/exports', { token: me.accessToken });
      return list.body.exports.find((e: { id: string; readyAt: string | null }) => e.id === res.body.export.id && e.readyAt);
    }, 20_000, 'the export');
    const archive = (await http(url, 'GET', `/api/me/exports/${ready.id}`, { token: me.accessToken })).body;

    expect(archive.posts).toEqual([expect.objectContaining({ id: post.body.post.id, body: 'my first post', mediaIds: [photoId] })]);
    expect(archive.payments).toEqual([expect.objectContaining({ id: pay.body.payment.id, packId: 'starter', provider: 'sandbox' })]);
    expect(archive.media).toEqual([expect.objectContaining({ id: photoId, kind: 'post_media', state: 'ready', mime: 'image/jpeg', download: `/api/media/${photoId}` })]);
    // No signed URL inside (it would expire in the archive); the named place gives the owner fresh ones.
    expect(JSON.stringify(archive.media)).not.toMatch(/[?&](sig|signature|token|expires)=/i);
    const files = await http(url, 'GET', archive.media[0].download, { token: me.accessToken });
    expect(files.status).toBe(200);
    const variant = Object.values(files.body.media.variants as Record<string, { url: string }>)[0]!;
    expect((await fetch(new URL(variant.url, url))).status).toBe(200);
  });
});

describe('a deleted creator', () => {
  it('has their posts gone from the feed, their listing and by id, for all but the buyers of a post', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const [follower, buyer] = await Promise.all([newUser(url), newUser(url)]);
    const handle = `gone_${creator.user.id.slice(0, 8)}`;
    expect((await http(url, 'PUT', '/api/creator/page', { token: creator.accessToken, body: { handle } })).status).toBe(200);
    expect((await http(url, 'POST', `/api/creators/${handle}/follow`, { token: follower.accessToken })).status).toBe(200);
    const post = async (body: object) => {
      const r = await http(url, 'POST', '/api/posts', { token: creator.accessToken, body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.post.id as string;
    };
    const free = await post({ body: 'free for all', visibility: { kind: 'free' } });
    const ppv = await post({ body: 'bought once', visibility: { kind: 'ppv', price: 30 } });
    await fund(node.pairly, buyer.user.id, 30);
    expect((await http(url, 'POST', `/api/posts/${ppv}/unlock`, { token: buyer.accessToken, body: { expectedPrice: 30 } })).status).toBe(200);
    const feedIds = async (token: string) => ((await http(url, 'GET', '/api/feed', { token })).body.posts as { id: string }[]).map((p) => p.id);
    expect(await waitFor(async () => ((await feedIds(follower.accessToken)).includes(free) ? 'in' : undefined), 10_000, 'the fan-out')).toBe('in');

    expect((await http(url, 'DELETE', '/api/me', { token: creator.accessToken, body: { password: creator.password } })).status).toBe(202);

    expect(await feedIds(follower.accessToken)).not.toContain(free);
    const listed = await http(url, 'GET', `/api/creators/${creator.user.id}/posts`, { token: follower.accessToken });
    expect([listed.status, listed.body.posts]).toEqual([200, []]);
    for (const id of [free, ppv]) expect((await http(url, 'GET', `/api/posts/${id}`, { token: follower.accessToken })).body.error?.code).toBe('NOT_FOUND');
    expect((await http(url, 'GET', `/api/creators/${handle}`, { token: follower.accessToken })).status).toBe(404);
    // What a buyer paid for stays theirs (as for a post its creator deleted); nothing else of the creator does.
    const kept = await http(url, 'GET', `/api/posts/${ppv}`, { token: buyer.accessToken });
    expect([kept.status, kept.body.post?.body]).toEqual([200, 'bought once']);
    expect((await http(url, 'GET', `/api/posts/${free}`, { token: buyer.accessToken })).status).toBe(404);
    const buyerList = await http(url, 'GET', `/api/creators/${creator.user.id}/posts`, { token: buyer.accessToken });
    expect(buyerList.body.posts.map((p: { id: string }) => p.id)).toEqual([ppv]);
  });
});
