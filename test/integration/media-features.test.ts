import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaView } from '../../shared/media.js';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createUpload, jpegWithGps, processed, uploadAndConfirm } from '../support/media.js';
import { createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * What is built on media (issue #11, "features on top"), on real PostgreSQL
 * and Redis with the embedded storage driver: profile photos (ordered, a
 * primary, avatar and cover) as others see them in a profile, discover, the
 * conversation list and a random match; and chat attachments, free and
 * pay-to-view, with the price rule, one charge per viewer and the access
 * rule (members only; the preview until paid).
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
const data = tempDir('media-features');
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', PAIRLY_DATA_DIR: data.path, MEDIA_STORAGE: 'local', MEDIA_UPLOADS_PER_HOUR: '100', MATCH_PAIR_INTERVAL_MS: '200' });
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
const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(10_000).emitWithAck(event, payload) as Promise<any>;
const send = (s: ClientSocket, p: object) => ack(s, 'chat:send', { clientId: randomUUID(), ...p });

/** A processed (ready) photo of this kind, of a given size so that tests can tell photos apart. */
async function readyPhoto(token: string, kind: string, width = 640, height = 480): Promise<string> {
  const { id } = await uploadAndConfirm(url, token, kind, 'image/jpeg', await jpegWithGps(width, height));
  const media = await processed(url, token, id);
  expect(media.state).toBe('ready');
  return id;
}

const profileOf = async (token: string, userId: string) => (await http<{ profile: any }>(url, 'GET', `/api/users/${userId}/profile`, { token })).body.profile;
const setPhotos = (token: string, body: object) => http<any>(url, 'PUT', '/api/profile/photos', { token, body });
const variantBytes = async (v: MediaView['variants'], name: string) => (await fetch(new URL(v![name]!.url, url))).status;

describe('profile photos', () => {
  it('are shown to others in order with the first as primary; the avatar set stands for the user, else the first photo', async () => {
    const owner = await newUser(url, { role: 'creator' });
    const viewer = await newUser(url);
    const first = await readyPhoto(owner.accessToken, 'profile_photo', 800, 600);
    const second = await readyPhoto(owner.accessToken, 'profile_photo', 600, 800);

    const set = await setPhotos(owner.accessToken, { photos: [second, first] });
    expect(set.status).toBe(200);
    expect(set.body.profile.photos.map((p: MediaView) => p.id)).toEqual([second, first]);

    const seen = await profileOf(viewer.accessToken, owner.user.id);
    expect(seen.photos.map((p: MediaView) => p.id)).toEqual([second, first]);
    expect(seen.photos[0]).toMatchObject({ width: 600, height: 800, state: 'ready' });
    // Another user's view: no owner details, URLs that work.
    expect(seen.photos[0].filename).toBeUndefined();
    expect(await variantBytes(seen.photos[0].variants, 'w640')).toBe(200);
    expect(seen.avatar.id).toBe(second);
    expect(seen.cover).toBeNull();

    // Reordering changes the primary; an avatar and a cover of their own kinds take over those places.
    const avatar = await readyPhoto(owner.accessToken, 'avatar', 400, 400);
    const cover = await readyPhoto(owner.accessToken, 'cover', 1200, 400);
    expect((await setPhotos(owner.accessToken, { photos: [first, second], avatar, cover })).status).toBe(200);
    const after = await profileOf(viewer.accessToken, owner.user.id);
    expect(after.photos.map((p: MediaView) => p.id)).toEqual([first, second]);
    expect(after.avatar.id).toBe(avatar);
    expect(after.cover.id).toBe(cover);

    // A field left out is kept; null clears.
    await setPhotos(owner.accessToken, { avatar: null });
    const cleared = await profileOf(viewer.accessToken, owner.user.id);
    expect(cleared.avatar.id).toBe(first);
    expect(cleared.cover.id).toBe(cover);
    expect(cleared.photos).toHaveLength(2);

    // Deleting a photo's media takes it off the profile at once.
    expect((await http(url, 'DELETE', `/api/media/${first}`, { token: owner.accessToken })).status).toBe(204);
    const gone = await profileOf(viewer.accessToken, owner.user.id);
    expect(gone.photos.map((p: MediaView) => p.id)).toEqual([second]);
    expect(gone.avatar.id).toBe(second);
  });

  it('a photo still processing is the owner\'s to see; others see it once it is ready', async () => {
    const owner = await newUser(url);
    const viewer = await newUser(url);
    const { id } = await uploadAndConfirm(url, owner.accessToken, 'profile_photo', 'image/jpeg', await jpegWithGps(640, 480));
    const set = await setPhotos(owner.accessToken, { photos: [id] });
    expect(set.status).toBe(200);
    expect(set.body.profile.photos).toHaveLength(1);
    await processed(url, owner.accessToken, id);
    const seen = await profileOf(viewer.accessToken, owner.user.id);
    expect(seen.photos.map((p: MediaView) => p.id)).toEqual([id]);
  });

  it('refuses what is not the caller\'s uploaded photo, more than six, and the same photo twice; nothing changes', async () => {
    const owner = await newUser(url);
    const other = await newUser(url);
    const mine = await readyPhoto(owner.accessToken, 'profile_photo');
    const theirs = await readyPhoto(other.accessToken, 'profile_photo');
    const anAvatar = await readyPhoto(owner.accessToken, 'avatar');
    const unconfirmed = (await createUpload(url, owner.accessToken, { kind: 'profile_photo', contentType: 'image/jpeg', size: 1000 })).body.media.id;
    expect((await setPhotos(owner.accessToken, { photos: [mine] })).status).toBe(200);

    const refused = async (body: object, status: number, code: string) => {
      const r = await setPhotos(owner.accessToken, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.code).toBe(code);
    };
    await refused({ photos: [mine, theirs] }, 404, 'NOT_FOUND');
    await refused({ photos: [anAvatar] }, 404, 'NOT_FOUND');
    await refused({ photos: [unconfirmed] }, 409, 'MEDIA_WRONG_STATE');
    await refused({ photos: [mine, mine] }, 400, 'VALIDATION_FAILED');
    await refused({ photos: Array.from({ length: 7 }, () => randomUUID()) }, 400, 'VALIDATION_FAILED');
    await refused({ avatar: mine }, 404, 'NOT_FOUND');
    await refused({}, 400, 'VALIDATION_FAILED');
    await refused({ photos: ['../../etc/passwd'] }, 400, 'VALIDATION_FAILED');
    const still = (await http<any>(url, 'GET', '/api/profile', { token: owner.accessToken })).body.profile;
    expect(still.photos.map((p: MediaView) => p.id)).toEqual([mine]);
  });

  it('show in discover, in the conversation list and on a random match', async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    const photo = await readyPhoto(a.accessToken, 'profile_photo');
    await setPhotos(a.accessToken, { photos: [photo] });

    const candidate = await waitFor(async () => {
      const page = await http<any>(url, 'GET', '/api/discover?limit=50', { token: b.accessToken });
      return page.body.candidates.find((c: any) => c.userId === a.user.id);
    });
    expect(candidate.photos.map((p: MediaView) => p.id)).toEqual([photo]);
    expect(candidate.avatar.id).toBe(photo);

    const opened = await http<any>(url, 'POST', '/api/conversations', { token: b.accessToken, body: { userId: a.user.id } });
    expect(opened.status).toBe(201);
    const list = await http<any>(url, 'GET', '/api/conversations', { token: b.accessToken });
    const entry = list.body.conversations.find((c: any) => c.peer.id === a.user.id);
    expect(entry.peer.photo.id).toBe(photo);
    expect(await variantBytes(entry.peer.photo.variants, 'w160')).toBe(200);

    const sa = await open(a.accessToken);
    const sb = await open(b.accessToken);
    const found = nextEvent<any>(sb, 'match:found', 15_000);
    expect((await ack(sa, 'match:join', { mode: 'text', interests: ['media-features-test'] })).ok).toBe(true);
    expect((await ack(sb, 'match:join', { mode: 'text', interests: ['media-features-test'] })).ok).toBe(true);
    const match = await found;
    expect(match.peer.userId).toBe(a.user.id);
    expect(match.peer.photo.id).toBe(photo);
    await ack(sa, 'match:leave', {});
    await ack(sb, 'match:leave', {});
  });
});

describe('chat attachments', () => {
  async function pair() {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const conversationId = (await http<any>(url, 'POST', '/api/conversations', { token: creator.accessToken, body: { userId: fan.user.id } })).body.conversationId;
    return { fan, creator, conversationId, f: await open(fan.accessToken), c: await open(creator.accessToken) };
  }
  const mediaAs = (token: string, id: string) => http<any>(url, 'GET', `/api/media/${id}`, { token });
  const unlock = (token: string, messageId: string, body: object) => http<any>(url, 'POST', `/api/messages/${messageId}/unlock`, { token, body });

  it('a photo in a message reaches the peer live, in history and in sync; members only may read it', async () => {
    const { fan, creator, conversationId, f, c } = await pair();
    const photo = await readyPhoto(fan.accessToken, 'message_attachment');
    const pushed = nextEvent<any>(c, 'chat:message');
    const sent = await send(f, { conversationId, attachment: { mediaId: photo } });
    expect(sent.ok).toBe(true);
    expect(sent.message).toMatchObject({ body: '', attachment: { mediaId: photo, price: 0 } });
    expect((await pushed).attachment).toEqual({ mediaId: photo, price: 0 });

    const seen = await mediaAs(creator.accessToken, photo);
    expect(seen.status).toBe(200);
    expect(seen.body.media.locked).toBeUndefined();
    expect(Object.keys(seen.body.media.variants).sort()).toEqual(['preview', 'w160', 'w640']);
    expect(await variantBytes(seen.body.media.variants, 'w640')).toBe(200);

    const history = await http<any>(url, 'GET', `/api/conversations/${conversationId}/messages`, { token: creator.accessToken });
    expect(history.body.messages.at(-1).attachment).toEqual({ mediaId: photo, price: 0 });
    const sync = await ack(c, 'chat:sync', {});
    expect(sync.messages.find((m: any) => m.id === sent.message.id).attachment).toEqual({ mediaId: photo, price: 0 });

    const stranger = await newUser(url);
    expect((await mediaAs(stranger.accessToken, photo)).status).toBe(404);
    // Sent as an attachment, it is not public like a profile photo.
    expect((await setPhotos(fan.accessToken, { photos: [photo] })).body.error.code).toBe('NOT_FOUND');
  });

  it('pay-to-view: the fan sees the blurred preview and its price, pays only the price shown, once, 80/20; the creator sees it all', async () => {
    const { fan, creator, conversationId, f, c } = await pair();
    const photo = await readyPhoto(creator.accessToken, 'message_attachment');
    const sent = await send(c, { conversationId, body: 'just for you', attachment: { mediaId: photo, price: 30 } });
    expect(sent.ok).toBe(true);
    const messageId = sent.message.id;
    expect(sent.message.attachment).toEqual({ mediaId: photo, price: 30 });

    const locked = (await mediaAs(fan.accessToken, photo)).body.media;
    expect(locked.locked).toBe(true);
    expect(Object.keys(locked.variants)).toEqual(['preview']);
    expect(await variantBytes(locked.variants, 'preview')).toBe(200);
    expect((await mediaAs(creator.accessToken, photo)).body.media.locked).toBeUndefined();

    // Not the price shown (nothing, or another): refused, nothing charged.
    expect((await unlock(fan.accessToken, messageId, {})).body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 30 } });
    expect((await unlock(fan.accessToken, messageId, { expectedPrice: 20 })).body.error.code).toBe('PRICE_CHANGED');
    expect((await unlock(fan.accessToken, messageId, { expectedPrice: 30 })).body.error.code).toBe('INSUFFICIENT_CREDITS');
    expect((await mediaAs(fan.accessToken, photo)).body.media.locked).toBe(true);

    await fund(node.pairly, fan.user.id, 100);
    const wallets: { available: number }[] = [];
    f.on('wallet:updated', (w: any) => wallets.push(w));
    // Twins racing (a double tap, two devices): one charge.
    const results = await Promise.all(Array.from({ length: 4 }, () => unlock(fan.accessToken, messageId, { expectedPrice: 30 })));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(results.filter((r) => !r.body.replayed)).toHaveLength(1);
    for (const r of results) expect(r.body).toMatchObject({ charged: 30, media: { id: photo } });
    expect(results[0]!.body.media.locked).toBeUndefined();
    expect(Object.keys(results[0]!.body.media.variants)).toContain('w640');
    await waitFor(() => wallets.some((w) => w.available === 70), 5000, 'the wallet pushed after the unlock');
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(70);
    expect((await node.pairly.services.ledger.account(`earnings:${creator.user.id}`))?.posted).toBe(24);
    expect((await mediaAs(fan.accessToken, photo)).body.media.locked).toBeUndefined();

    // A later unlock is a replay at what was paid, even after the price would differ.
    const again = await unlock(fan.accessToken, messageId, { expectedPrice: 30 });
    expect(again.body).toMatchObject({ replayed: true, charged: 30 });
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(70);
    void c;
  });

  it('refuses attachments that are not the sender\'s ready item, prices from fans and in random matches, and a different message under a used clientId', async () => {
    const { fan, creator, conversationId, f, c } = await pair();
    const fanPhoto = await readyPhoto(fan.accessToken, 'message_attachment');
    const creatorPhoto = await readyPhoto(creator.accessToken, 'message_attachment');
    const profilePhoto = await readyPhoto(creator.accessToken, 'profile_photo');
    const unconfirmed = (await createUpload(url, creator.accessToken, { kind: 'message_attachment', contentType: 'image/jpeg', size: 1000 })).body.media.id;

    const refused = async (s: ClientSocket, p: object, code: string) => {
      const r = await send(s, { conversationId, ...p });
      expect(r.ok, JSON.stringify(p)).toBe(false);
      expect(r.error.code, JSON.stringify(p)).toBe(code);
    };
    await refused(c, { attachment: { mediaId: fanPhoto } }, 'NOT_FOUND');
    await refused(c, { attachment: { mediaId: profilePhoto } }, 'NOT_FOUND');
    await refused(c, { attachment: { mediaId: unconfirmed } }, 'MEDIA_WRONG_STATE');
    await refused(c, { attachment: { mediaId: randomUUID() } }, 'NOT_FOUND');
    await refused(f, { attachment: { mediaId: fanPhoto, price: 5 } }, 'FORBIDDEN');
    await refused(c, { attachment: { mediaId: creatorPhoto, price: -1 } }, 'VALIDATION_FAILED');
    await refused(c, { attachment: { mediaId: creatorPhoto, price: 1.5 } }, 'VALIDATION_FAILED');
    await refused(c, { attachment: { mediaId: 'x' } }, 'VALIDATION_FAILED');
    await refused(c, { body: '   ' }, 'VALIDATION_FAILED');
    await refused(c, { body: '' }, 'VALIDATION_FAILED');

    const clientId = randomUUID();
    expect((await send(c, { conversationId, clientId, attachment: { mediaId: creatorPhoto, price: 10 } })).ok).toBe(true);
    const replay = await send(c, { conversationId, clientId, attachment: { mediaId: creatorPhoto, price: 10 } });
    expect(replay.replayed).toBe(true);
    expect((await send(c, { conversationId, clientId, attachment: { mediaId: creatorPhoto, price: 11 } })).error.code).toBe('IDEMPOTENCY_CONFLICT');

    // Nothing is sold between strangers of a random match.
    const sa = await open(creator.accessToken);
    const sb = await open(fan.accessToken);
    const found = nextEvent<any>(sa, 'match:found', 15_000);
    await ack(sa, 'match:join', { mode: 'text', interests: ['attachments-test'] });
    await ack(sb, 'match:join', { mode: 'text', interests: ['attachments-test'] });
    const session = await found;
    const inMatch = await send(sa, { conversationId: session.conversationId, attachment: { mediaId: creatorPhoto, price: 10 } });
    expect(inMatch.error.code).toBe('FORBIDDEN');
    expect((await send(sa, { conversationId: session.conversationId, attachment: { mediaId: creatorPhoto } })).ok).toBe(true);
    await ack(sa, 'match:leave', {});

    // Unlocking: only members, only messages with an attachment; a free one costs nothing.
    const plain = await send(c, { conversationId, body: 'no picture' });
    expect((await unlock(fan.accessToken, plain.message.id, {})).status).toBe(404);
    const free = await send(c, { conversationId, attachment: { mediaId: creatorPhoto } });
    expect((await unlock(fan.accessToken, free.message.id, {})).body).toMatchObject({ charged: 0, replayed: false });
    const stranger = await newUser(url);
    expect((await unlock(stranger.accessToken, free.message.id, {})).status).toBe(404);
    expect((await unlock(fan.accessToken, free.message.id, { expectedPrice: 'one' })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('an admin sees a pay-to-view attachment without paying', async () => {
    const { creator, conversationId, c } = await pair();
    const admin = await newAdmin(node.pairly, url);
    const photo = await readyPhoto(creator.accessToken, 'message_attachment');
    await send(c, { conversationId, attachment: { mediaId: photo, price: 50 } });
    const seen = await mediaAs(admin.token, photo);
    expect(seen.status).toBe(200);
    expect(seen.body.media.locked).toBeUndefined();
  });
});
