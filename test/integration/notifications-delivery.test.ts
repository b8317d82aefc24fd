import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationView } from '../../shared/notifications.js';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startPushStandin, type PushStandin } from '../support/push-standin.js';
import { pgQuery } from '../support/services.js';

/** How notifications leave the server: live to offline users' next visit (chat), the mail digest, security mail at once, and web push. */
let backing: Backing;
let node: InProcessNode;
let push: PushStandin;
const vapid = webpush.generateVAPIDKeys();
const svc = () => node.pairly.services.notifications;
const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
type List = { notifications: NotificationView[]; unread: number };
const list = async (token: string) => (await http<List>(node.url, 'GET', '/api/notifications', { token })).body;
const outbox = async () => (await http<{ mails: { to: string; subject: string; text: string }[] }>(node.url, 'GET', '/api/mail/outbox')).body.mails;

beforeAll(async () => {
  backing = await createBacking();
  push = await startPushStandin();
  node = await startInProcess({ ...backing.env, VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, NOTIFY_PUSH_HTTP_ENDPOINTS: 'true', RUN_WORKERS: 'true' });
});
afterAll(async () => {
  await node?.stop();
  await push?.close();
  await backing?.cleanup();
});

describe('notification delivery', () => {
  it('turns messages to an offline user into one collapsed notification, and none to an online one', async () => {
    const a = await newUser(node.url);
    const b = await newUser(node.url);
    const sa = await connect(node.url, a.accessToken);
    for (let i = 0; i < 3; i++) expect((await ack(sa, 'chat:send', { toUserId: b.user.id, clientId: randomUUID(), body: `hi ${i}` })).ok).toBe(true);
    const got = await waitFor(async () => (await list(b.accessToken)).notifications.find((n) => n.count === 3), 10_000, 'three messages collapsed');
    expect(got).toMatchObject({ kind: 'message', text: `3 new messages from ${a.user.displayName}` });
    expect(got.payload.link).toMatch(/^\/chats\//);

    // B is here now: the chat shows new messages itself.
    const sb = await connect(node.url, b.accessToken);
    const seen = new Promise((r) => sb.once('chat:message', r));
    await ack(sa, 'chat:send', { toUserId: b.user.id, clientId: randomUUID(), body: 'still there?' });
    await seen;
    // The notify step runs after the ack; a marker notification queued after it shows it has run.
    await svc().notify(b.user.id, { kind: 'like', subject: 'marker' });
    const after = await list(b.accessToken);
    expect(after.notifications.filter((n) => n.kind === 'message').map((n) => n.count)).toEqual([3]);
    sa.close();
    sb.close();
  });

  it('mails a digest to users offline for a while, once, and security events at once', async () => {
    const u = await newUser(node.url);
    await svc().notify(u.user.id, { kind: 'match', subject: 'x', payload: { actorName: 'Zed' } });
    await svc().notify(u.user.id, { kind: 'tip', subject: 'y', payload: { actorName: 'Yan', detail: '5 credits' } });
    expect(await svc().sendDigests(0)).toBeGreaterThanOrEqual(1);
    const digest = await waitFor(async () => (await outbox()).find((m) => m.to === u.user.email && m.subject.includes('2 things')), 10_000, 'the digest');
    expect(digest.text).toContain('You matched with Zed');
    expect(digest.text).toContain('A tip from Yan: 5 credits');
    // Mailed once: a second run finds nothing of this user's.
    await svc().sendDigests(0);
    expect((await outbox()).filter((m) => m.to === u.user.email && m.subject.includes('things happened'))).toHaveLength(1);

    await svc().notify(u.user.id, { kind: 'security', subject: 'test', payload: { detail: 'two-factor sign-in was turned off' } });
    await waitFor(async () => (await outbox()).find((m) => m.to === u.user.email && m.subject === 'Pairly: Security: two-factor sign-in was turned off'), 10_000, 'the security mail');
  });

  it('sends web push, VAPID-signed and encrypted, to an offline user\'s browsers, and drops a gone subscription', async () => {
    const u = await newUser(node.url);
    const key = await http<{ publicKey: string }>(node.url, 'GET', '/api/notifications/push/key', { token: u.accessToken });
    expect(key.body.publicKey).toBe(vapid.publicKey);
    const browser = push.subscribe();
    expect((await http(node.url, 'POST', '/api/notifications/push/subscriptions', { token: u.accessToken, body: browser })).status).toBe(204);

    const n = (await svc().notify(u.user.id, { kind: 'missed_call', subject: 'caller', payload: { actorName: 'Cal', link: '/u/caller' } }))!;
    const got = await waitFor(() => push.received.find((p) => (p.payload as { id: string }).id === n.id), 10_000, 'the push');
    expect(got.publicKey).toBe(vapid.publicKey);
    expect(got.claims.sub).toBe('mailto:admin@pairly.local');
    expect(got.payload).toEqual({ id: n.id, kind: 'missed_call', title: 'Pairly', body: 'A missed call from Cal', link: '/u/caller' });
    expect(push.refused).toEqual([]);

    // The browser unsubscribed at its push service: the next push gets 410 and the subscription is dropped.
    push.gone(browser.endpoint);
    await svc().notify(u.user.id, { kind: 'missed_call', subject: 'other', payload: { actorName: 'Dee' } });
    await waitFor(async () => (await http(node.url, 'DELETE', '/api/notifications/push/subscriptions', { token: u.accessToken, body: { endpoint: browser.endpoint } })).status === 404, 10_000, 'the gone subscription dropped');
  });

  it('tells every recipient of a mass message, one statement per batch: live to the connected, web push to the offline', async () => {
    const creator = await newUser(node.url, { role: 'creator', displayName: 'Mass Ada' });
    const [online, offline, quiet] = (await Promise.all([0, 1, 2].map(() => newUser(node.url)))) as [Awaited<ReturnType<typeof newUser>>, Awaited<ReturnType<typeof newUser>>, Awaited<ReturnType<typeof newUser>>];
    for (const f of [online, offline, quiet]) await pgQuery(backing.databaseUrl, `INSERT INTO follows (follower_id, creator_id) VALUES ($1, $2)`, [f.user.id, creator.user.id]);
    const browsers = [push.subscribe(), push.subscribe()];
    await http(node.url, 'POST', '/api/notifications/push/subscriptions', { token: offline.accessToken, body: browsers[0] });
    await http(node.url, 'POST', '/api/notifications/push/subscriptions', { token: quiet.accessToken, body: browsers[1] });
    // `quiet` turned web push off for messages: stored, not pushed.
    await http(node.url, 'PUT', '/api/notifications/preferences', { token: quiet.accessToken, body: { preferences: [{ kind: 'message', channel: 'push', enabled: false }] } });
    const socket = await connect(node.url, online.accessToken);
    const live: NotificationView[] = [];
    socket.on('notification:new', (e: { notification: NotificationView }) => live.push(e.notification));

    const sent = await http<any>(node.url, 'POST', '/api/mass-messages', { token: creator.accessToken, body: { clientId: randomUUID(), audience: { kind: 'followers' }, body: 'hello all' } });
    expect(sent.status).toBe(201);
    const seen = await waitFor(() => live.find((n) => n.kind === 'message'), 10_000, 'the live notification');
    expect(seen).toMatchObject({ count: 1, text: 'A new message from Mass Ada' });
    const pushed = await waitFor(() => push.received.find((p) => p.subscriptionId === browsers[0]!.endpoint.split('/').pop()), 10_000, 'the offline fan’s push');
    expect(pushed.payload).toMatchObject({ kind: 'message', body: 'A new message from Mass Ada', link: expect.stringMatching(/^\/chats\/[0-9a-f-]{36}$/) });
    for (const u of [online, offline, quiet]) expect((await list(u.accessToken)).notifications.filter((n) => n.kind === 'message')).toHaveLength(1);
    // The online fan is not pushed (a connected device), nor `quiet` (push off): the stand-in saw one push for this message.
    expect(push.received.filter((p) => (p.payload as { body: string }).body === 'A new message from Mass Ada')).toHaveLength(1);
    socket.close();
  });

  it('refuses bad subscriptions with clear codes', async () => {
    const u = await newUser(node.url);
    const good = push.subscribe();
    for (const body of [{}, { endpoint: 'not a url', keys: good.keys }, { endpoint: good.endpoint, keys: { p256dh: 'short', auth: good.keys.auth } }, { endpoint: 'ftp://x.test/a', keys: good.keys }]) {
      const res = await http(node.url, 'POST', '/api/notifications/push/subscriptions', { token: u.accessToken, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const missing = await http(node.url, 'DELETE', '/api/notifications/push/subscriptions', { token: u.accessToken, body: { endpoint: good.endpoint } });
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });
});
