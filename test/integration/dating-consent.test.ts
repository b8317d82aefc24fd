import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Dating with consent: a person who is not a creator is written to only by their matches unless they
 * allow everyone; a creator may write to their own followers, anyone may answer who wrote first; the
 * matches list, "who liked me", and unmatch (the conversation closes for both, a new match opens it).
 */

let backing: Backing;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess(backing.env);
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

type User = Awaited<ReturnType<typeof newUser>>;
const person = () => newUser(url, { whoCanMessage: 'matches' });
const api = (token: string, method: string, path: string, body?: object) => http(url, method, path, { token, body });
const device = async (u: User) => {
  const s = await connect(url, u.accessToken);
  sockets.push(s);
  return s;
};
const ack = (s: ClientSocket, event: string, payload: object) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const say = (s: ClientSocket, to: { toUserId?: string; conversationId?: string }, body = 'hello') => ack(s, 'chat:send', { ...to, clientId: randomUUID(), body });
const like = (from: User, to: User) => api(from.accessToken, 'POST', `/api/discover/${to.user.id}/like`);
const canMessage = async (viewer: User, other: User) => (await api(viewer.accessToken, 'GET', `/api/users/${other.user.id}/profile`)).body.profile.canMessage;

describe('who may write first', () => {
  it('a stranger is refused with MATCH_REQUIRED by a new account (matches only is the default), on open and on send', async () => {
    const [a, b] = [await newUser(url), await person()];
    expect((await api(b.accessToken, 'GET', '/api/profile')).body.profile.preferences.whoCanMessage).toBe('matches');
    expect((await api(a.accessToken, 'POST', '/api/conversations', { userId: b.user.id })).body.error.code).toBe('MATCH_REQUIRED');
    expect((await say(await device(a), { toUserId: b.user.id })).error.code).toBe('MATCH_REQUIRED');
    expect(await canMessage(a, b)).toBe(false);
  });

  it('a mutual like lets both write; everyone-allowed people take strangers; a first message may be answered', async () => {
    const [a, b] = [await person(), await person()];
    await like(a, b);
    expect(await canMessage(b, a)).toBe(false);
    const matched = await like(b, a);
    expect(matched.body).toMatchObject({ matched: true });
    expect(await canMessage(b, a)).toBe(true);
    const sent = await say(await device(a), { toUserId: b.user.id });
    expect(sent.message.conversationId).toBe(matched.body.conversationId);

    // c allows everyone: a stranger writes; c answers, and keeps answering after switching to matches only.
    const [c, d] = [await person(), await person()];
    await api(c.accessToken, 'PUT', '/api/profile/preferences', { whoCanMessage: 'everyone' });
    const first = await say(await device(d), { toUserId: c.user.id });
    expect(first.ok).toBe(true);
    await api(c.accessToken, 'PUT', '/api/profile/preferences', { whoCanMessage: 'matches' });
    // c has not answered yet: d's next message needs c's consent again.
    expect((await say(await device(d), { conversationId: first.message.conversationId }, 'again')).error.code).toBe('MATCH_REQUIRED');
    // d is matches-only too, but c may answer the one who wrote first.
    expect((await say(await device(c), { conversationId: first.message.conversationId }, 'hi d')).ok).toBe(true);
    // Now c has written to d, so d may write to c again.
    expect((await say(await device(d), { conversationId: first.message.conversationId }, 'thanks')).ok).toBe(true);
  });

  it('a creator writes to followers, not to other people; a creator is written to by anyone their own policy lets in', async () => {
    const creator = await newUser(url, { role: 'creator', whoCanMessage: 'matches' });
    const handle = `consent_${randomUUID().slice(0, 8)}`;
    expect((await api(creator.accessToken, 'PUT', '/api/creator/page', { handle })).status).toBe(200);
    const [follower, other] = [await person(), await person()];
    expect((await api(follower.accessToken, 'POST', `/api/creators/${handle}/follow`)).status).toBeLessThan(300);
    const studio = await device(creator);
    expect((await say(studio, { toUserId: follower.user.id })).ok).toBe(true);
    expect((await say(studio, { toUserId: other.user.id })).error.code).toBe('MATCH_REQUIRED');
    // A creator's own consent setting does not apply: people write to creators under the creator's policy.
    expect((await say(await device(other), { toUserId: creator.user.id })).ok).toBe(true);
  });
});

describe('matches, likes and unmatch', () => {
  it('lists matches newest first and who liked me until answered, paged', async () => {
    const me = await person();
    const fans = [await person(), await person(), await person()];
    for (const f of fans) await like(f, me);
    const likes = async (q = '') => (await api(me.accessToken, 'GET', `/api/likes${q}`)).body;
    const page1 = await likes('?limit=2');
    expect(page1.likes.map((l: any) => l.profile.userId)).toEqual([fans[2]!.user.id, fans[1]!.user.id]);
    const page2 = await likes(`?limit=2&cursor=${page1.nextCursor}`);
    expect(page2.likes.map((l: any) => l.profile.userId)).toEqual([fans[0]!.user.id]);

    await like(me, fans[0]!);
    await api(me.accessToken, 'POST', `/api/discover/${fans[1]!.user.id}/pass`);
    expect((await likes()).likes.map((l: any) => l.profile.userId)).toEqual([fans[2]!.user.id]);
    await like(me, fans[2]!);
    const matches = (await api(me.accessToken, 'GET', '/api/matches')).body.matches;
    expect(matches.map((m: any) => m.profile.userId)).toEqual([fans[2]!.user.id, fans[0]!.user.id]);
    expect(matches[0].conversationId).toEqual(expect.any(String));
    expect((await api(me.accessToken, 'GET', '/api/matches?cursor=bm90LWEtY3Vyc29y')).body.error.code).toBe('VALIDATION_FAILED');
    // Matches are the caller's own: the other side lists me.
    expect((await api(fans[0]!.accessToken, 'GET', '/api/matches')).body.matches.map((m: any) => m.profile.userId)).toEqual([me.user.id]);
  });

  it('unmatch closes the conversation for both, both hear it, no new conversation or call is allowed; a new match opens it again', async () => {
    const [a, b] = [await person(), await person()];
    await like(a, b);
    const { conversationId } = (await like(b, a)).body;
    const [da, db] = [await device(a), await device(b)];
    expect((await say(db, { conversationId })).ok).toBe(true);
    const heard = [nextEvent<any>(da, 'match:unmatched'), nextEvent<any>(db, 'match:unmatched')];
    expect((await api(a.accessToken, 'DELETE', `/api/matches/${b.user.id}`)).status).toBe(204);
    expect(await Promise.all(heard)).toEqual([
      { userId: b.user.id, conversationId },
      { userId: a.user.id, conversationId },
    ]);
    expect((await say(db, { conversationId })).error.code).toBe('CONVERSATION_CLOSED');
    expect((await say(da, { conversationId })).error.code).toBe('CONVERSATION_CLOSED');
    // What b wrote before no longer counts once the conversation is closed.
    expect((await api(a.accessToken, 'POST', '/api/conversations', { userId: b.user.id })).body.error.code).toBe('MATCH_REQUIRED');
    expect((await api(b.accessToken, 'GET', '/api/matches')).body.matches).toEqual([]);
    expect((await api(a.accessToken, 'DELETE', `/api/matches/${b.user.id}`)).body.error.code).toBe('NOT_FOUND');

    // b's like stands but a's became a pass: b is not matched again until a likes again.
    expect((await like(b, a)).body.matched).toBe(false);
    const again = await like(a, b);
    expect(again.body).toEqual({ matched: true, conversationId });
    expect((await say(da, { conversationId }, 'hello again')).ok).toBe(true);
  });

  it('refuses bad input with clear codes', async () => {
    const a = await person();
    expect((await api(a.accessToken, 'DELETE', '/api/matches/not-a-uuid')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(a.accessToken, 'GET', '/api/likes?limit=1000')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(a.accessToken, 'PUT', '/api/profile/preferences', { whoCanMessage: 'nobody' })).body.error.code).toBe('VALIDATION_FAILED');
  });
});
