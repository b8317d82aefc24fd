import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaView } from '../../shared/media.js';
import { ImageClassifier } from '../../server/src/modules/moderation/image.classifier.js';
import { connect, http, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { pgQuery } from '../support/services.js';
import { processed, uploadAndConfirm } from '../support/media.js';
import { ROOT, createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * The moderate step (issue #18, "Moderation") on real PostgreSQL and Redis with the embedded storage
 * driver and the real classifier (nsfwjs's bundled model on tfjs wasm): texts masked or refused per
 * place, the contact and repeat rules, huge and hostile texts, images per place with the committed
 * fixtures (test/fixtures/moderation: generate.ts says how they were made), quarantine and an admin's
 * decision, and corrupt images. Snapshots of random video sessions need an SFU: they are tested with a
 * real Janus in test/cluster/match-video.test.ts.
 */
const NUDE = readFileSync(join(ROOT, 'test/fixtures/moderation/nude.jpg'));
const CLEAN = readFileSync(join(ROOT, 'test/fixtures/moderation/clean.jpg'));
const REPEAT_LIMIT = 3;

let backing: Backing;
let node: InProcessNode;
let url: string;
const data = tempDir('moderation');
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    PAIRLY_DATA_DIR: data.path,
    MEDIA_STORAGE: 'local',
    MEDIA_UPLOADS_PER_HOUR: '100',
    MATCH_PAIR_INTERVAL_MS: '200',
    MODERATION_REPEAT_LIMIT: String(REPEAT_LIMIT),
  });
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
const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(30_000).emitWithAck(event, payload) as Promise<any>;
const send = (s: ClientSocket, p: object) => ack(s, 'chat:send', { clientId: randomUUID(), ...p });
const verdicts = (kind: 'media' | 'snapshot' | 'message', id: string) => node.pairly.services.moderation.ofSubject(kind, id);

async function pair() {
  const a = await newUser(url);
  const b = await newUser(url);
  return { a, b, sa: await open(a.accessToken), sb: await open(b.accessToken) };
}

describe('chat texts', () => {
  it('are stored and delivered with profanity masked', async () => {
    const { b, sa, sb } = await pair();
    const arrived = nextEvent<any>(sb, 'chat:message');
    const res = await send(sa, { toUserId: b.user.id, body: 'you are a fucking legend' });
    expect(res.ok).toBe(true);
    expect(res.message.body).toBe('you are a ****ing legend');
    expect((await arrived).body).toBe('you are a ****ing legend');
  });

  it('refuse a link or a phone number in a first message to a stranger, kept as a block verdict; allowed once they reply', async () => {
    const { a, b, sa, sb } = await pair();
    const clientId = randomUUID();
    const link = await ack(sa, 'chat:send', { clientId, toUserId: b.user.id, body: 'see my pics at www.example.com' });
    expect(link).toMatchObject({ ok: false, error: { code: 'TEXT_REFUSED', details: { reason: 'contact_to_stranger' } } });
    const phone = await send(sa, { toUserId: b.user.id, body: 'text me on +44 7700 900 123' });
    expect(phone.error).toMatchObject({ code: 'TEXT_REFUSED', details: { reason: 'contact_to_stranger' } });

    const hello = await send(sa, { toUserId: b.user.id, body: 'hello there' });
    expect(hello.ok).toBe(true);
    const conversationId = hello.message.conversationId;
    const [kept] = await verdicts('message', `${conversationId}:${clientId}`);
    expect(kept).toMatchObject({ place: 'chat', verdict: 'block', reasons: ['contact_to_stranger'], user_id: a.user.id, scores: { link: 1, phone: 0 } });

    expect((await send(sb, { conversationId, body: 'hi! who are you?' })).ok).toBe(true);
    const after = await send(sa, { conversationId, body: 'see my pics at www.example.com' });
    expect(after.ok).toBe(true);
  });

  it('refuse the same text sent to more people than the limit, however it is spelled (one person, however often, counts once)', async () => {
    const sender = await newUser(url);
    const s = await open(sender.accessToken);
    const spam = 'Earn 500 credits a day, just ask me how!';
    const spellings = [spam, spam.toUpperCase(), 'earn 500 credits a day — just ask me how', 'Earn 500  credits a day, just ask me how!!'];
    const answers = [];
    for (const body of spellings) answers.push(await send(s, { toUserId: (await newUser(url)).user.id, body }));
    expect(answers.slice(0, REPEAT_LIMIT).every((r) => r.ok)).toBe(true);
    expect(answers[REPEAT_LIMIT]).toMatchObject({ ok: false, error: { code: 'TEXT_REFUSED', details: { reason: 'repeated' } } });
    // A different text from the same sender still goes.
    expect((await send(s, { toUserId: (await newUser(url)).user.id, body: 'Something else entirely, written for you' })).ok).toBe(true);
    // The same words said again and again to one person are not a run to many: each conversation counts once.
    const friend = (await newUser(url)).user.id;
    const again = 'Are you coming to the climbing gym tonight?';
    for (let i = 0; i < REPEAT_LIMIT + 2; i++) expect((await send(s, { toUserId: friend, body: again })).ok).toBe(true);
  });

  it('check edits like new messages', async () => {
    const { b, sa } = await pair();
    const sent = await send(sa, { toUserId: b.user.id, body: 'hello' });
    const edited = await ack(sa, 'chat:edit', { conversationId: sent.message.conversationId, messageId: sent.message.id, body: 'hello shithead' });
    expect(edited.ok).toBe(true);
    expect(edited.message.body).toBe('hello ****head');
    const withLink = await ack(sa, 'chat:edit', { conversationId: sent.message.conversationId, messageId: sent.message.id, body: 'go to https://example.com' });
    expect(withLink.error).toMatchObject({ code: 'TEXT_REFUSED', details: { reason: 'contact_to_stranger' } });
  });

  it('answer huge texts and NUL bytes with a clear code, and check the longest allowed text whole', async () => {
    const { b, sa } = await pair();
    expect((await send(sa, { toUserId: b.user.id, body: 'a'.repeat(4001) })).error.code).toBe('VALIDATION_FAILED');
    expect((await send(sa, { toUserId: b.user.id, body: 'hi\u0000there' })).error.code).toBe('VALIDATION_FAILED');
    // 4000 characters, the word at the very end: masked there too.
    const longest = `${'lorem ipsum '.repeat(333)}fuck`;
    expect(longest.length).toBe(4000);
    const res = await send(sa, { toUserId: b.user.id, body: longest });
    expect(res.ok).toBe(true);
    expect(res.message.body.endsWith('****')).toBe(true);
  });
});

describe('bios, posts and comments', () => {
  it('refuse a bio with profanity and take a clean one; huge or NUL bios are VALIDATION_FAILED', async () => {
    const u = await newUser(url);
    const bad = await http<any>(url, 'PUT', '/api/profile', { token: u.accessToken, body: { bio: 'no b1tches please' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'TEXT_REFUSED', details: { reason: 'profanity' } });
    expect((await http<any>(url, 'PUT', '/api/profile', { token: u.accessToken, body: { bio: 'Hiking, coffee and old films.' } })).status).toBe(200);
    expect((await http<any>(url, 'PUT', '/api/profile', { token: u.accessToken, body: { bio: 'x'.repeat(5_000) } })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await http<any>(url, 'PUT', '/api/profile', { token: u.accessToken, body: { bio: 'x'.repeat(2_000_000) } })).body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await http<any>(url, 'PUT', '/api/profile', { token: u.accessToken, body: { bio: 'a\u0000b' } })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('store posts, comments and mass messages masked', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const post = await http<any>(url, 'POST', '/api/posts', { token: creator.accessToken, body: { body: 'new set is up, damn fine shit', visibility: { kind: 'free' } } });
    expect(post.status).toBe(201);
    expect(post.body.post.body).toBe('new set is up, damn fine ****');
    const comment = await http<any>(url, 'POST', `/api/posts/${post.body.post.id}/comments`, { token: creator.accessToken, body: { body: 'what the fuck' } });
    expect(comment.status).toBe(201);
    expect(comment.body.comment.body).toBe('what the ****');
    const mass = await http<any>(url, 'POST', '/api/mass-messages', { token: creator.accessToken, body: { clientId: randomUUID(), audience: { kind: 'followers' }, body: 'new shit on my page' } });
    expect(mass.status).toBe(201);
    expect(mass.body.massMessage.body).toBe('new **** on my page');
  });
});

describe('images', () => {
  it('score the fixtures: the generated nude one as Porn, the clean one not; corrupt bytes are undecodable, never a crash', async () => {
    // The first classification in this process loads the wasm backend, whose glue adds process listeners
    // that re-throw: none of them may stay (the server logs unhandled rejections and goes on).
    const listeners = () => ['uncaughtException', 'unhandledRejection'].map((e) => process.listeners(e as 'uncaughtException').length);
    const before = listeners();
    const classifier = new ImageClassifier();
    const nude = await classifier.classify(NUDE);
    expect(listeners()).toEqual(before);
    const clean = await classifier.classify(CLEAN);
    if (nude === 'undecodable' || clean === 'undecodable') throw new Error('fixtures must decode');
    expect(nude.Porn + nude.Hentai).toBeGreaterThan(0.9);
    expect(clean.Porn + clean.Hentai).toBeLessThan(0.1);
    const truncated = NUDE.subarray(0, Math.floor(NUDE.length / 2));
    const garbage = Buffer.from('not an image at all');
    const header = Buffer.concat([NUDE.subarray(0, 200), Buffer.alloc(5000, 0xff)]);
    const results = await Promise.all([truncated, garbage, Buffer.alloc(0), header].map((b) => classifier.classify(b)));
    expect(results).toEqual(['undecodable', 'undecodable', 'undecodable', 'undecodable']);
    // The classifier still works after them (one at a time, none left stuck).
    expect(await classifier.classify(CLEAN)).toEqual(clean);
  });

  it('refuse a nude dating-profile photo with its scores kept, and take a clean one', async () => {
    const u = await newUser(url);
    const nude = await uploadAndConfirm(url, u.accessToken, 'profile_photo', 'image/jpeg', NUDE);
    const refused = await processed(url, u.accessToken, nude.id);
    expect(refused).toMatchObject({ state: 'rejected', rejectReason: 'moderation', moderation: { state: 'rejected', reason: 'nudity', byAdmin: false } });
    const [v] = await verdicts('media', nude.id);
    expect(v).toMatchObject({ place: 'profile', verdict: 'block', reasons: ['nudity'], user_id: u.user.id });
    expect(v!.scores.Porn).toBeGreaterThan(0.7);

    const clean = await uploadAndConfirm(url, u.accessToken, 'profile_photo', 'image/jpeg', CLEAN);
    expect(await processed(url, u.accessToken, clean.id)).toMatchObject({ state: 'ready', moderation: { state: 'approved' } });
    expect((await verdicts('media', clean.id))[0]).toMatchObject({ verdict: 'allow', reasons: [] });
  });

  it('allow nudity in creator posts', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const { id } = await uploadAndConfirm(url, creator.accessToken, 'post_media', 'image/jpeg', NUDE);
    expect(await processed(url, creator.accessToken, id)).toMatchObject({ state: 'ready', moderation: { state: 'approved', reason: 'nudity' } });
  });

  it('quarantine a fan\'s nude attachment: its owner sees it, others do not until an admin allows it; a second decision is refused', async () => {
    const admin = await newAdmin(node.pairly, url);
    const { a, b, sa } = await pair();
    const { id } = await uploadAndConfirm(url, a.accessToken, 'message_attachment', 'image/jpeg', NUDE);
    const mine = await processed(url, a.accessToken, id);
    expect(mine).toMatchObject({ state: 'ready', moderation: { state: 'pending', reason: 'nudity' } });
    expect(mine.variants?.w160).toBeDefined();

    const sent = await send(sa, { toUserId: b.user.id, body: '', attachment: { mediaId: id } });
    expect(sent.ok).toBe(true);
    const seenByPeer = await http<{ media: MediaView }>(url, 'GET', `/api/media/${id}`, { token: b.accessToken });
    expect(seenByPeer.status).toBe(200);
    expect(seenByPeer.body.media.variants).toBeNull();

    const queue = await http<any>(url, 'GET', '/api/admin/moderation/queue', { token: admin.token });
    const item = queue.body.items.find((i: any) => i.subjectId === id);
    expect(item).toMatchObject({ subjectKind: 'media', place: 'attachment', verdict: 'quarantine', reasons: ['nudity'], userId: a.user.id, userName: a.user.displayName });
    expect(item.scores.Porn).toBeGreaterThan(0.7);
    expect((await http<any>(url, 'GET', '/api/admin/moderation/queue', { token: b.accessToken })).status).toBe(403);

    const decided = await http<any>(url, 'POST', `/api/admin/moderation/${item.id}/decision`, { token: admin.token, body: { decision: 'allow' } });
    expect(decided.status).toBe(200);
    expect(decided.body.verdict).toMatchObject({ decision: 'allow' });
    const nowSeen = await http<{ media: MediaView }>(url, 'GET', `/api/media/${id}`, { token: b.accessToken });
    expect(nowSeen.body.media.variants?.w160).toBeDefined();
    const again = await http<any>(url, 'POST', `/api/admin/moderation/${item.id}/decision`, { token: admin.token, body: { decision: 'remove' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('MODERATION_ALREADY_DECIDED');
    expect((await http<any>(url, 'POST', `/api/admin/moderation/${randomUUID()}/decision`, { token: admin.token, body: { decision: 'allow' } })).status).toBe(404);
    const queueAfter = await http<any>(url, 'GET', '/api/admin/moderation/queue', { token: admin.token });
    expect(queueAfter.body.items.some((i: any) => i.subjectId === id)).toBe(false);
    // Committed with the decision, in its transaction.
    const audit = await pgQuery<{ meta: any }>(backing.databaseUrl, `SELECT meta FROM audit_log WHERE action = 'admin.moderation_decision' AND actor_id = $1`, [admin.userId]);
    expect(audit.map((r) => r.meta)).toEqual([expect.objectContaining({ verdictId: item.id, decision: 'allow', subjectId: id, userId: a.user.id })]);
  });

  it('a removed quarantine withdraws the item', async () => {
    const admin = await newAdmin(node.pairly, url);
    const fan = await newUser(url);
    const { id } = await uploadAndConfirm(url, fan.accessToken, 'message_attachment', 'image/jpeg', NUDE);
    await processed(url, fan.accessToken, id);
    const [v] = await verdicts('media', id);
    const res = await http<any>(url, 'POST', `/api/admin/moderation/${v!.id}/decision`, { token: admin.token, body: { decision: 'remove' } });
    expect(res.status).toBe(200);
    const owner = await http<{ media: MediaView }>(url, 'GET', `/api/media/${id}`, { token: fan.accessToken });
    expect(owner.body.media).toMatchObject({ state: 'rejected', rejectReason: 'moderation', moderation: { state: 'rejected', byAdmin: true } });
  });
});

describe('a quarantined item its owner deletes', () => {
  const queued = async (token: string, id: string) => ((await http<any>(url, 'GET', '/api/admin/moderation/queue', { token })).body.items as { subjectId: string }[]).some((i) => i.subjectId === id);

  it('leaves the queue when the media item (a photo, an attachment) is deleted, and a late decision is refused', async () => {
    const admin = await newAdmin(node.pairly, url);
    const fan = await newUser(url);
    const { id } = await uploadAndConfirm(url, fan.accessToken, 'message_attachment', 'image/jpeg', NUDE);
    await processed(url, fan.accessToken, id);
    const [v] = await verdicts('media', id);
    expect(await queued(admin.token, id)).toBe(true);

    expect((await http(url, 'DELETE', `/api/media/${id}`, { token: fan.accessToken })).status).toBe(204);
    expect(await queued(admin.token, id)).toBe(false);
    const late = await http<any>(url, 'POST', `/api/admin/moderation/${v!.id}/decision`, { token: admin.token, body: { decision: 'allow' } });
    expect([late.status, late.body.error.code, late.body.error.details]).toEqual([409, 'MODERATION_ALREADY_DECIDED', { verdict: 'quarantine', decision: 'remove' }]);
  });

  it('leaves the queue when the message carrying it is deleted for everyone (nobody but its owner reaches it)', async () => {
    const admin = await newAdmin(node.pairly, url);
    const { a, b, sa } = await pair();
    const { id } = await uploadAndConfirm(url, a.accessToken, 'message_attachment', 'image/jpeg', NUDE);
    await processed(url, a.accessToken, id);
    const sent = await send(sa, { toUserId: b.user.id, body: '', attachment: { mediaId: id } });
    expect(sent.ok).toBe(true);
    expect(await queued(admin.token, id)).toBe(true);

    const deleted = await ack(sa, 'chat:delete', { conversationId: sent.message.conversationId, messageId: sent.message.id, scope: 'everyone' });
    expect(deleted.ok).toBe(true);
    expect(await queued(admin.token, id)).toBe(false);
  });
});

describe('verdicts', () => {
  it('keep one per subject and place: a second verdict (a retried job) finds the first', async () => {
    const u = await newUser(url);
    const moderation = node.pairly.services.moderation;
    const id = randomUUID();
    const first = await moderation.image({ kind: 'media', id, userId: u.user.id }, 'attachment', NUDE);
    const again = await moderation.image({ kind: 'media', id, userId: u.user.id }, 'attachment', NUDE);
    expect(again.verdict).toBe(first.verdict);
    expect(await verdicts('media', id)).toHaveLength(1);
  });
});
