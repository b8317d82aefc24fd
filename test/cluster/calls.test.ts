import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { assertJanusInstalled, JanusParticipant, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';
import { pgQuery, TEST_REDIS_URL } from '../support/services.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * Calls with billing, through a real Janus (in a test network namespace) and
 * Pairly on real PostgreSQL and Redis with BullMQ running the minute ticks.
 * A "minute" is 2 s here (CALL_MINUTE_SECONDS) so the billing runs in seconds.
 */
const MINUTE_S = 2;
let backing: Backing;
let netns: TestNetns;
let janus: JanusProcess;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  assertNetnsSupport();
  assertJanusInstalled();
  netns = createNetns();
  janus = await startJanus(netns);
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    CALL_MINUTE_SECONDS: String(MINUTE_S),
    CALL_GRACE_SECONDS: '0.5',
    CALL_RING_SECONDS: '2',
    JOB_BACKOFF_MS: '50',
    // Retries of a room destruction span about 50 s (50 ms doubling): longer than any outage made here.
    JOB_ATTEMPTS: '10',
    CALL_MEDIA_SWEEP_SECONDS: '1',
    CALL_MEDIA_LOST_SECONDS: '3',
    SFU_TIMEOUT_MS: '1000',
    SFU_JANUS_INSTANCES: JSON.stringify([{ id: 'janus-1', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }]),
  });
  url = node.url;
}, 60_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await janus?.stop();
  netns?.remove();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(8000).emitWithAck(event, payload) as Promise<any>;
async function device(token: string) {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
}
async function creatorAndFan(price: number, credits: number) {
  const creator = await newUser(url, { role: 'creator' });
  await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { callPricePerMinute: price } });
  const fan = await newUser(url);
  if (credits) await fund(node.pairly, fan.user.id, credits);
  return { creator, fan };
}
/** Janus's own word: does the room exist? */
async function roomExists(room: number): Promise<boolean> {
  const p = await JanusParticipant.connect(janus.apiUrl);
  try {
    return (await p.request({ request: 'exists', room })).exists === true;
  } finally {
    await p.close();
  }
}
/** Deletes a pending BullMQ job of the node's queues (ids use '|' where ours use ':'): 1 if it was there. */
async function removeJob(queueName: string, jobId: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  const queue = new Queue(queueName, { connection: redis, prefix: `${backing.redisPrefix}bull` });
  try {
    return await queue.remove(jobId.replaceAll(':', '|'));
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
const balance = async (token: string) => (await http(url, 'GET', '/api/wallet', { token })).body.wallet;

describe('call set-up', () => {
  it('rings every callee device; one device answers, the other is told; both get media credentials for one Janus room', async () => {
    const { creator, fan } = await creatorAndFan(0, 0);
    const caller = await device(fan.accessToken);
    const [d1, d2] = [await device(creator.accessToken), await device(creator.accessToken)];
    const rings = Promise.all([nextEvent<any>(d1, 'call:ringing'), nextEvent<any>(d2, 'call:ringing')]);
    const invited = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true });
    expect(invited.call).toMatchObject({ state: 'ringing', pricePerMinute: 0, video: true });
    for (const r of await rings) expect(r).toMatchObject({ call: { id: invited.call.id }, from: { userId: fan.user.id } });

    const accepted = nextEvent<any>(caller, 'call:accepted');
    // Whichever device loses the race is told the call was answered elsewhere.
    const elsewhereSeen: string[] = [];
    d1.on('call:elsewhere', () => elsewhereSeen.push('d1'));
    d2.on('call:elsewhere', () => elsewhereSeen.push('d2'));
    const [a1, a2] = await Promise.all([ack(d1, 'call:accept', { callId: invited.call.id }), ack(d2, 'call:accept', { callId: invited.call.id })]);
    const winner = a1.ok ? a1 : a2;
    expect([a1.ok, a2.ok].filter(Boolean)).toHaveLength(1);
    expect((a1.ok ? a2 : a1).error.code).toBe('CALL_NOT_RINGING');
    const callerSide = await accepted;
    expect(callerSide.media.roomId).toBe(winner.media.roomId);
    expect(callerSide.media.token).not.toBe(winner.media.token);
    expect(await roomExists(winner.media.roomId)).toBe(true);
    await waitFor(() => elsewhereSeen.length > 0, 5000, 'call:elsewhere on the other device');
    expect(elsewhereSeen).toEqual([a1.ok ? 'd2' : 'd1']);

    // A participant with the wrong token is refused by Janus itself; with the right one it joins.
    const intruder = await JanusParticipant.connect(janus.apiUrl);
    await expect(intruder.request({ request: 'join', ptype: 'publisher', room: winner.media.roomId, token: 'not-the-token' })).resolves.toMatchObject({ error_code: expect.any(Number) });
    await intruder.close();

    const ended = nextEvent<any>(caller, 'call:ended');
    await ack(d1.connected && a1.ok ? d1 : d2, 'call:hangup', { callId: invited.call.id });
    expect((await ended).reason).toBe('hangup');
    await waitFor(async () => !(await roomExists(winner.media.roomId)), 5000, 'the room to be destroyed');
  });

  it('declines, cancels, times out unanswered, and refuses a second call while busy', async () => {
    const { creator, fan } = await creatorAndFan(0, 0);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const c1 = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: false });
    const other = await newUser(url);
    const third = await device(other.accessToken);
    expect((await ack(third, 'call:invite', { toUserId: creator.user.id, video: false })).error.code).toBe('BUSY');
    const declined = nextEvent<any>(caller, 'call:ended');
    await ack(callee, 'call:decline', { callId: c1.call.id });
    expect((await declined).reason).toBe('declined');

    const c2 = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: false });
    const cancelled = nextEvent<any>(callee, 'call:ended');
    await ack(caller, 'call:cancel', { callId: c2.call.id });
    expect((await cancelled).reason).toBe('cancelled');

    const c3 = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: false });
    const timedOut = await nextEvent<any>(caller, 'call:ended', 10_000);
    expect(timedOut).toMatchObject({ reason: 'no_answer', call: { id: c3.call.id } });
    expect((await ack(callee, 'call:accept', { callId: c3.call.id })).error.code).toBe('CALL_NOT_RINGING');
    expect((await ack(caller, 'call:invite', { toUserId: fan.user.id, video: false })).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('consent', () => {
  it('a person who takes calls only from matches is not rung by a stranger (MATCH_REQUIRED), and is once they match', async () => {
    const stranger = await newUser(url);
    const person = await newUser(url, { whoCanMessage: 'matches' });
    const caller = await device(stranger.accessToken);
    const callee = await device(person.accessToken);
    let rung = 0;
    callee.on('call:ringing', () => rung++);
    expect((await ack(caller, 'call:invite', { toUserId: person.user.id, video: true })).error.code).toBe('MATCH_REQUIRED');

    await http(url, 'POST', `/api/discover/${stranger.user.id}/like`, { token: person.accessToken });
    expect((await http(url, 'POST', `/api/discover/${person.user.id}/like`, { token: stranger.accessToken })).body.matched).toBe(true);
    const ringing = nextEvent<any>(callee, 'call:ringing');
    const { call } = await ack(caller, 'call:invite', { toUserId: person.user.id, video: true });
    expect((await ringing).call.id).toBe(call.id);
    expect(rung).toBe(1);
    await ack(caller, 'call:cancel', { callId: call.id });
  });
});

describe('admins watching', () => {
  it('the live snapshot counts ringing and active calls, and active ones per Janus', async () => {
    const admin = await newAdmin(node.pairly, url);
    const snapshot = async () => (await http(url, 'GET', '/api/admin/presence', { token: admin.token })).body.snapshot.activeCalls;
    const before = await snapshot();
    const { creator, fan } = await creatorAndFan(0, 0);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true });
    expect((await snapshot()).ringing).toBe(before.ringing + 1);
    expect((await ack(callee, 'call:accept', { callId: call.id })).ok).toBe(true);
    const during = await snapshot();
    expect(during).toMatchObject({ active: before.active + 1, ringing: before.ringing });
    expect(during.perSfuInstance['janus-1']).toBe((before.perSfuInstance['janus-1'] ?? 0) + 1);
    await ack(caller, 'call:hangup', { callId: call.id });
    expect(await snapshot()).toEqual(before);
  });
});

describe('metering', () => {
  it('a call of 3 minutes bills exactly 3 minutes, split 80/20, and both sides get a receipt', async () => {
    const { creator, fan } = await creatorAndFan(10, 100);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 });
    const accepted = await ack(callee, 'call:accept', { callId: call.id });
    expect(accepted.ok).toBe(true);
    const answeredAt = Date.parse(accepted.call.answeredAt);
    expect((await balance(fan.accessToken)).held).toBe(10);
    // Hang up just after the third minute boundary (inside the grace of the fourth).
    await new Promise((r) => setTimeout(r, answeredAt + 3 * MINUTE_S * 1000 + 150 - Date.now()));
    const ended = nextEvent<any>(callee, 'call:ended');
    await ack(caller, 'call:hangup', { callId: call.id });
    expect((await ended).call).toMatchObject({ minutesBilled: 3, creditsBilled: 30, endReason: 'hangup' });
    expect(await balance(fan.accessToken)).toMatchObject({ available: 70, held: 0 });
    expect((await node.pairly.services.ledger.account(`earnings:${creator.user.id}`))?.posted).toBe(24);
    const fanView = (await http(url, 'GET', '/api/calls', { token: fan.accessToken })).body.calls[0];
    const creatorView = (await http(url, 'GET', '/api/calls', { token: creator.accessToken })).body.calls[0];
    expect(fanView).toMatchObject({ id: call.id, role: 'caller', receipt: { paid: 30 }, minutesBilled: 3 });
    expect(creatorView).toMatchObject({ id: call.id, role: 'callee', receipt: { earned: 24 } });
    const legs = await pgQuery<{ n: number }>(backing.databaseUrl, `SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key LIKE $1 AND state = 'posted' AND kind = 'call'`, [`call:${call.id}:min:%:creator`]);
    expect(legs[0]!.n).toBe(3);
  });

  it('credits running out mid-call end it with insufficient_credits and destroy the room', async () => {
    const { creator, fan } = await creatorAndFan(10, 25);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 });
    const accepted = await ack(callee, 'call:accept', { callId: call.id });
    const ended = await nextEvent<any>(caller, 'call:ended', 20_000);
    expect(ended).toMatchObject({ reason: 'insufficient_credits', call: { minutesBilled: 2, creditsBilled: 20 } });
    expect(await balance(fan.accessToken)).toMatchObject({ available: 5, held: 0 });
    await waitFor(async () => !(await roomExists(accepted.media.roomId)), 5000, 'the room to be destroyed');
  });

  it('bills every minute at the price agreed at the invite, whatever the creator sets during the call', async () => {
    const { creator, fan } = await creatorAndFan(10, 100);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 });
    // Raised while it rings, and again once it runs: neither reaches this call.
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { callPricePerMinute: 40 } });
    const accepted = await ack(callee, 'call:accept', { callId: call.id });
    expect(accepted.call.pricePerMinute).toBe(10);
    expect((await balance(fan.accessToken)).held).toBe(10);
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { callPricePerMinute: 90 } });
    await waitFor(async () => (await node.pairly.services.calls.history(fan.user.id, null, 1))[0]!.minutesBilled >= 2, 10_000, 'two minutes to be billed');
    const ended = nextEvent<any>(callee, 'call:ended');
    await ack(caller, 'call:hangup', { callId: call.id });
    const { call: done } = await ended;
    expect(done.pricePerMinute).toBe(10);
    expect(done.creditsBilled).toBe(done.minutesBilled * 10);
    expect(await balance(fan.accessToken)).toMatchObject({ available: 100 - done.creditsBilled, held: 0 });
  });

  it('refuses an invite at a price other than the one the client showed, and stores no call', async () => {
    const { creator, fan } = await creatorAndFan(10, 100);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    let rang = false;
    callee.on('call:ringing', () => (rang = true));
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { callPricePerMinute: 25 } });
    const stale = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 });
    expect(stale).toMatchObject({ ok: false, error: { code: 'PRICE_CHANGED', details: { price: 25 } } });
    // Absent means the client showed a free call.
    expect((await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true })).error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 25 } });
    expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM calls WHERE caller_id = $1', [fan.user.id])).toEqual([]);
    expect(rang).toBe(false);
    const agreed = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 25 });
    expect(agreed.call).toMatchObject({ state: 'ringing', pricePerMinute: 25 });
    await ack(caller, 'call:cancel', { callId: agreed.call.id });
  });

  it('refuses a call the fan cannot pay a minute of', async () => {
    const { creator, fan } = await creatorAndFan(10, 5);
    const caller = await device(fan.accessToken);
    expect((await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 })).error.code).toBe('INSUFFICIENT_CREDITS');
  });
});

describe('lost minute ticks', () => {
  it('a call whose next tick job was lost is billed on: the media sweep enqueues the overdue tick again', async () => {
    const { creator, fan } = await creatorAndFan(10, 1000);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 });
    expect((await ack(callee, 'call:accept', { callId: call.id })).ok).toBe(true);
    const billed = async () => (await node.pairly.services.calls.history(fan.user.id, null, 1))[0]!.minutesBilled;
    await waitFor(async () => (await billed()) === 1, 10_000, 'minute 1 to be billed');
    // Lose minute 2's delayed job, as an embedded restart or a Redis without persistence would.
    expect(await removeJob('calls.tick', `call:${call.id}:tick:2`)).toBe(1);
    await waitFor(async () => (await billed()) >= 3, 20_000, 'billing to go on past the lost tick');
    const ended = nextEvent<any>(callee, 'call:ended');
    await ack(caller, 'call:hangup', { callId: call.id });
    const { call: done } = await ended;
    expect(done.creditsBilled).toBe(done.minutesBilled * 10);
    expect(await balance(fan.accessToken)).toMatchObject({ available: 1000 - done.creditsBilled, held: 0 });
  });
});

describe('lost ring timeouts', () => {
  it('a call still ringing after its timeout job was lost ends as no answer', async () => {
    const { creator, fan } = await creatorAndFan(0, 0);
    const caller = await device(fan.accessToken);
    await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true });
    expect(await removeJob('calls.ring-timeout', `call:${call.id}:ring`)).toBe(1);
    const ended = await nextEvent<any>(caller, 'call:ended', 20_000);
    expect(ended).toMatchObject({ reason: 'no_answer', call: { id: call.id, state: 'ended' } });
  });
});

describe('media failures', () => {
  async function activeCall(price: number, credits: number) {
    const { creator, fan } = await creatorAndFan(price, credits);
    const caller = await device(fan.accessToken);
    const callee = await device(creator.accessToken);
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: price });
    const accepted = await ack(callee, 'call:accept', { callId: call.id });
    expect(accepted.ok).toBe(true);
    return { creator, fan, caller, callee, callId: call.id as string, roomId: accepted.media.roomId as number, answeredAt: Date.parse(accepted.call.answeredAt) };
  }
  /** The call ended no later than `lostAt` and billed no minute that began after its end; the wallet agrees. */
  async function expectBilledUpTo(ended: any, lostAt: number, fanToken: string, credits: number) {
    expect(ended).toMatchObject({ reason: 'media_failure', call: { endReason: 'media_failure' } });
    const endedAt = Date.parse(ended.call.endedAt);
    const answeredAt = Date.parse(ended.call.answeredAt);
    expect(endedAt).toBeLessThanOrEqual(lostAt);
    expect(endedAt).toBeGreaterThanOrEqual(answeredAt);
    expect(ended.call.minutesBilled).toBeLessThanOrEqual(Math.ceil((endedAt - answeredAt) / (MINUTE_S * 1000)));
    expect(ended.call.creditsBilled).toBe(ended.call.minutesBilled * 10);
    expect(await balance(fanToken)).toMatchObject({ available: credits - ended.call.creditsBilled, held: 0 });
  }

  it('a Janus that restarts mid-call (losing its rooms) ends the call as a media failure, billed only while the room was there', async () => {
    const c = await activeCall(10, 1000);
    // Into the second minute: minute 1 is billed while the room is there.
    await waitFor(async () => (await node.pairly.services.calls.history(c.fan.user.id, null, 1))[0]?.minutesBilled === 1, 10_000, 'minute 1 to be billed');
    const ended = nextEvent<any>(c.caller, 'call:ended', 20_000);
    const lostAt = Date.now();
    const old = janus;
    await old.kill();
    janus = await startJanus(netns, { adminKey: old.adminKey });
    await old.stop(); // its config dir
    await expectBilledUpTo(await ended, lostAt, c.fan.accessToken, 1000);
    expect(await roomExists(c.roomId)).toBe(false);
  });

  it('a Janus that drops off the network ends its calls after CALL_MEDIA_LOST_SECONDS, dated when the room was last seen', async () => {
    const c = await activeCall(10, 1000);
    await waitFor(async () => (await node.pairly.services.calls.history(c.fan.user.id, null, 1))[0]?.minutesBilled === 1, 10_000, 'minute 1 to be billed');
    const ended = nextEvent<any>(c.callee, 'call:ended', 20_000);
    const lostAt = Date.now();
    netns.setLink(false);
    let event;
    try {
      event = await ended;
    } finally {
      netns.setLink(true);
    }
    await expectBilledUpTo(event, lostAt, c.fan.accessToken, 1000);
    // The destruction that failed while Janus was unreachable is retried by a job until it lands.
    // Right after the link comes back, connections opened before it went down may still hang in TCP
    // retransmission: a check that fails is simply asked again.
    await waitFor(async () => (await roomExists(c.roomId).catch(() => true)) === false, 20_000, 'the retried destruction to remove the room');
  });

  it('the media sweep destroys a room left behind by an ended call, and leaves rooms it cannot place', async () => {
    const c = await activeCall(0, 0);
    const ended = nextEvent<any>(c.callee, 'call:ended');
    await ack(c.caller, 'call:hangup', { callId: c.callId });
    await ended;
    await waitFor(async () => !(await roomExists(c.roomId)), 5000, 'the room to be destroyed at hang-up');
    // As a create that timed out after reaching Janus would leave it: the ended call's room is back.
    const sfu = (node.pairly.services.calls as any).d.sfu;
    const leftover = await sfu.createRoom(c.callId, [c.fan.user.id, c.creator.user.id]);
    expect(leftover.roomId).toBe(c.roomId);
    const stranger = await sfu.createRoom(randomUUID(), ['x', 'y']); // no call or session of that id
    await waitFor(async () => !(await roomExists(c.roomId)), 10_000, 'the sweep to destroy the ended call\'s room');
    expect(await roomExists(stranger.roomId)).toBe(true);
    await sfu.destroyRoom(stranger);
  });

  it('a room its Janus could not be reached to destroy at hang-up is destroyed by the retry job', async () => {
    const c = await activeCall(0, 0);
    netns.setLink(false);
    try {
      const ended = nextEvent<any>(c.callee, 'call:ended');
      expect((await ack(c.caller, 'call:hangup', { callId: c.callId })).ok).toBe(true);
      expect((await ended).reason).toBe('hangup');
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      netns.setLink(true);
    }
    // Right after the link comes back, connections opened before it went down may still hang in TCP
    // retransmission: a check that fails is simply asked again.
    await waitFor(async () => (await roomExists(c.roomId).catch(() => true)) === false, 20_000, 'the retried destruction to remove the room');
  });
});
