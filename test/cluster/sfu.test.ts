import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createSfuController, JanusUnreachableError, NoHealthySfuError, type JanusInstanceConfig, type SfuController } from '../../sfu/src/index.js';
import { assertJanusInstalled, JanusParticipant, startJanus, type JanusOptions, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';

/**
 * The SFU controller against real Janus processes (Debian's package), two of
 * them in one test network namespace on different ports: room creation with
 * tokens, idempotency, the allowed list enforced by Janus itself, destruction
 * kicking participants, least-loaded placement, and dead or hung instances.
 */

const SECRET = 'sfu-test-secret-0123456789abcdefghij';
const TIMEOUT_MS = 1000;

let netns: TestNetns | undefined;
let a: JanusProcess;
let b: JanusProcess;
const started: JanusProcess[] = [];
const controllers: SfuController[] = [];
const participants: JanusParticipant[] = [];

function instance(id: string, janus: JanusProcess): JanusInstanceConfig {
  return { id, apiUrl: janus.apiUrl, adminSecret: janus.adminKey, clientUrl: janus.wsUrl };
}

function controller(instances: JanusInstanceConfig[]): SfuController {
  const c = createSfuController({ instances, secret: SECRET, timeoutMs: TIMEOUT_MS });
  controllers.push(c);
  return c;
}

async function janus(ns: TestNetns, opts: JanusOptions): Promise<JanusProcess> {
  const j = await startJanus(ns, opts);
  started.push(j);
  return j;
}

/**
 * SIGSTOP, then wait until every thread has stopped: a group stop is
 * asynchronous, and on a busy machine Janus's HTTP thread can still answer
 * a request or two after kill() returns.
 */
async function freeze(j: JanusProcess): Promise<void> {
  const pid = j.child.pid as number;
  j.child.kill('SIGSTOP');
  const deadline = Date.now() + 5000;
  const states = () => readdirSync(`/proc/${pid}/task`).map((t) => /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1]);
  while (!states().every((s) => s === 'T')) {
    if (Date.now() > deadline) throw new Error(`Janus ${pid} did not stop: thread states ${states().join('')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function participant(janus: JanusProcess): Promise<JanusParticipant> {
  const p = await JanusParticipant.connect(janus.apiUrl);
  participants.push(p);
  return p;
}

/** Janus's own answer, asked with its admin_key: is the room there? */
async function exists(janus: JanusProcess, room: number): Promise<boolean> {
  const p = await participant(janus);
  const data = await p.request({ request: 'exists', room });
  return data.exists === true;
}

// A missing prerequisite fails every test (with what to install), never skips them.
let setupError: unknown;
beforeAll(async () => {
  try {
    assertNetnsSupport();
    assertJanusInstalled();
    netns = createNetns();
    [a, b] = await Promise.all([
      janus(netns, { httpPort: 8088, wsPort: 8188, rtpPorts: '20000-20499' }),
      janus(netns, { httpPort: 8089, wsPort: 8189, rtpPorts: '20500-20999' }),
    ]);
  } catch (err) {
    setupError = err;
  }
});
beforeEach(() => {
  if (setupError) throw setupError;
});

afterAll(async () => {
  await Promise.allSettled(participants.map((p) => p.close()));
  await Promise.allSettled(controllers.map((c) => c.close()));
  await Promise.allSettled(started.map((j) => j.stop()));
  netns?.remove();
});

describe('config', () => {
  it('rejects, at construction, a pool it could not use', async () => {
    const ok: JanusInstanceConfig = { id: 'a', apiUrl: 'http://10.0.0.1:8088/janus', adminSecret: 'k', clientUrl: 'wss://sfu.example/janus' };
    expect(() => createSfuController({ instances: [ok], secret: 'short' })).toThrow(/secret/);
    expect(() => createSfuController({ instances: [{ ...ok, adminSecret: '' }], secret: SECRET })).toThrow(/adminSecret/);
    expect(() => createSfuController({ instances: [ok, ok], secret: SECRET })).toThrow(/duplicate/);
    expect(() => createSfuController({ instances: [{ ...ok, apiUrl: 'nope' }], secret: SECRET })).toThrow(/apiUrl/);
    expect(() => createSfuController({ instances: [ok], secret: SECRET, timeoutMs: 0 })).toThrow(/timeoutMs/);
    const empty = createSfuController({ instances: [], secret: SECRET });
    await expect(empty.createRoom(randomUUID(), ['a', 'b'])).rejects.toThrow(/pool is empty/);
    await expect(empty.createRoom(randomUUID(), ['a', 'a'])).rejects.toThrow(/distinct/);
    await empty.close();
    await expect(empty.health()).rejects.toThrow(/closed/);
  });
});

describe('one Janus', () => {
  let sfu: SfuController;
  const callId = randomUUID();
  beforeAll(() => {
    if (setupError) return;
    sfu = controller([instance('a', a)]);
  });

  it('creates a private room with one token per participant, seen in health()', async () => {
    const room = await sfu.createRoom(callId, ['alice', 'bob']);
    expect(room).toMatchObject({ instance: 'a', clientUrl: a.wsUrl });
    expect(Number.isSafeInteger(room.roomId)).toBe(true);
    expect(Object.keys(room.tokens).sort()).toEqual(['alice', 'bob']);
    expect(room.tokens.alice).not.toEqual(room.tokens.bob);
    expect(await exists(a, room.roomId)).toBe(true);
    expect(await sfu.health()).toEqual([{ instance: 'a', healthy: true, rooms: [{ roomId: room.roomId, owner: callId }], participants: 0 }]);

    // Private: a client listing rooms without the admin_key does not see it, and cannot create rooms.
    const stranger = await participant(a);
    const listed = await stranger.request({ request: 'list' });
    expect((listed.list as { room: number }[]).map((r) => r.room)).not.toContain(room.roomId);
    expect(await stranger.request({ request: 'create', room: 4242 })).toMatchObject({ error_code: 429 }); // admin_key missing
    expect(await stranger.request({ request: 'create', room: 4242, admin_key: 'guess' })).toMatchObject({ error_code: 433 });
  });

  it('is idempotent on the call id: again, concurrently, and from another node', async () => {
    const first = await sfu.createRoom(callId, ['alice', 'bob']);
    const [again, concurrent] = await Promise.all([sfu.createRoom(callId, ['alice', 'bob']), sfu.createRoom(callId, ['alice', 'bob'])]);
    const otherNode = controller([instance('a', a)]);
    const fromOtherNode = await otherNode.createRoom(callId, ['alice', 'bob']);
    expect(again).toEqual(first);
    expect(concurrent).toEqual(first);
    expect(fromOtherNode).toEqual(first);
    expect((await sfu.health())[0]?.rooms).toHaveLength(1);
    const other = await sfu.createRoom(randomUUID(), ['alice', 'bob']);
    expect(other.roomId).not.toBe(first.roomId);
    expect(other.tokens.alice).not.toBe(first.tokens.alice);
    await sfu.destroyRoom(other);
  });

  it('lets Janus refuse a wrong or missing token and accept the right one', async () => {
    const room = await sfu.createRoom(callId, ['alice', 'bob']);
    const intruder = await participant(a);
    const wrong = await intruder.request({ request: 'join', ptype: 'publisher', room: room.roomId, token: 'not-a-token' });
    expect(wrong).toMatchObject({ videoroom: 'event', error_code: 433 });
    const none = await intruder.request({ request: 'join', ptype: 'publisher', room: room.roomId });
    expect(none).toMatchObject({ error_code: 433 });
    // Another call's token does not open this room.
    const otherCall = await sfu.createRoom(randomUUID(), ['alice', 'bob']);
    const crossed = await intruder.request({ request: 'join', ptype: 'publisher', room: room.roomId, token: otherCall.tokens.alice });
    expect(crossed).toMatchObject({ error_code: 433 });
    await sfu.destroyRoom(otherCall);

    const alice = await participant(a);
    const joined = await alice.request({ request: 'join', ptype: 'publisher', room: room.roomId, token: room.tokens.alice, display: 'alice' });
    expect(joined).toMatchObject({ videoroom: 'joined', room: room.roomId });
    expect(await sfu.health()).toEqual([{ instance: 'a', healthy: true, rooms: [{ roomId: room.roomId, owner: callId }], participants: 1 }]);
  });

  it('destroys the room, kicking its participants; destroying again is fine', async () => {
    const room = await sfu.createRoom(callId, ['alice', 'bob']);
    const bob = await participant(a);
    expect(await bob.request({ request: 'join', ptype: 'publisher', room: room.roomId, token: room.tokens.bob })).toMatchObject({ videoroom: 'joined' });

    await sfu.destroyRoom(room);
    const kicked = await bob.nextEvent((e) => e.plugindata?.data?.videoroom === 'destroyed');
    expect(kicked.plugindata?.data).toMatchObject({ videoroom: 'destroyed', room: room.roomId });
    expect(await exists(a, room.roomId)).toBe(false);
    expect(await sfu.health()).toEqual([{ instance: 'a', healthy: true, rooms: [], participants: 0 }]);

    await expect(sfu.destroyRoom(room)).resolves.toBeUndefined();
    const late = await participant(a);
    const rejoin = await late.request({ request: 'join', ptype: 'publisher', room: room.roomId, token: room.tokens.bob });
    expect(rejoin).toMatchObject({ error_code: 426 }); // no such room
  });
});

describe('a pool of two', () => {
  let sfu: SfuController;
  beforeAll(async () => {
    if (setupError) return;
    await Promise.all(participants.splice(0).map((p) => p.close()));
    sfu = controller([instance('a', a), instance('b', b)]);
  });

  it('places each call on the instance with the fewest participants, then the fewest rooms', async () => {
    expect(await sfu.health()).toEqual([
      { instance: 'a', healthy: true, rooms: [], participants: 0 },
      { instance: 'b', healthy: true, rooms: [], participants: 0 },
    ]);
    const call1 = await sfu.createRoom(randomUUID(), ['u1', 'u2']);
    expect(call1.instance).toBe('a'); // a tie goes to the first in the pool
    expect(call1.clientUrl).toBe(a.wsUrl);
    const p1 = await participant(a);
    await p1.request({ request: 'join', ptype: 'publisher', room: call1.roomId, token: call1.tokens.u1 });

    // a: 1 participant, 1 room; b: empty
    const call2Id = randomUUID();
    const call2 = await sfu.createRoom(call2Id, ['u3', 'u4']);
    expect(call2).toMatchObject({ instance: 'b', clientUrl: b.wsUrl });
    // a: 1 participant, 1 room; b: 0 participants, 1 room: participants come first
    const call3 = await sfu.createRoom(randomUUID(), ['u5', 'u6']);
    expect(call3.instance).toBe('b');
    const p2 = await participant(b);
    await p2.request({ request: 'join', ptype: 'publisher', room: call2.roomId, token: call2.tokens.u3 });
    // a: 1 participant, 1 room; b: 1 participant, 2 rooms: fewer rooms wins the tie
    const call4 = await sfu.createRoom(randomUUID(), ['u7', 'u8']);
    expect(call4.instance).toBe('a');
    const sorted = (ids: number[]) => [...ids].sort((x, y) => x - y);
    expect((await sfu.health()).map((h) => ({ ...h, rooms: sorted(h.rooms.map((r) => r.roomId)) }))).toEqual([
      { instance: 'a', healthy: true, rooms: sorted([call1.roomId, call4.roomId]), participants: 1 },
      { instance: 'b', healthy: true, rooms: sorted([call2.roomId, call3.roomId]), participants: 1 },
    ]);
    // A retried createRoom finds the room where it is, whatever the loads are now.
    expect(await sfu.createRoom(call2Id, ['u3', 'u4'])).toEqual(call2);
  });

  it('reports a hung instance (no answer in time) unhealthy and skips it', async () => {
    await freeze(b);
    try {
      const started = Date.now();
      const health = await sfu.health();
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
      expect(health[0]).toMatchObject({ instance: 'a', healthy: true });
      expect(health[1]).toMatchObject({ instance: 'b', healthy: false, error: `janus b: no answer within ${TIMEOUT_MS} ms` });
      expect((await sfu.createRoom(randomUUID(), ['x', 'y'])).instance).toBe('a');
    } finally {
      b.child.kill('SIGCONT');
    }
    expect((await sfu.health())[1]).toMatchObject({ instance: 'b', healthy: true });
  });

  it('reports a dead instance unhealthy, skips it, and fails when none is left', async () => {
    const onB = await sfu.createRoom(randomUUID(), ['k1', 'k2']);
    expect(onB.instance).toBe('b'); // a has more participants/rooms now
    await b.kill();
    const health = await sfu.health();
    expect(health[1]).toMatchObject({ instance: 'b', healthy: false, rooms: [], participants: 0 });
    expect(health[1]?.error).toMatch(/ECONNREFUSED/);
    expect((await sfu.createRoom(randomUUID(), ['z1', 'z2'])).instance).toBe('a');
    await expect(sfu.destroyRoom(onB)).rejects.toBeInstanceOf(JanusUnreachableError);

    const onlyB = controller([instance('b', b)]);
    await expect(onlyB.createRoom(randomUUID(), ['q1', 'q2'])).rejects.toBeInstanceOf(NoHealthySfuError);
  });

  it('recovers when the instance comes back (its old Janus session is gone)', async () => {
    b = await janus(netns as TestNetns, { httpPort: 8089, wsPort: 8189, rtpPorts: '20500-20999', adminKey: b.adminKey });
    expect((await sfu.health())[1]).toEqual({ instance: 'b', healthy: true, rooms: [], participants: 0 });
    expect((await sfu.createRoom(randomUUID(), ['r1', 'r2'])).instance).toBe('b');
  });
});
