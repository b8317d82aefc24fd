import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * Joins, skips and double taps racing over two real nodes, then SIGKILL of
 * one of them mid-matching: no user is ever in two sessions (as the users see
 * it and as PostgreSQL records it), and the survivor keeps pairing. Every
 * node pairs through the same atomic scripts, so there is no matcher to
 * elect again: what the kill takes away is the dead node's users, whom the
 * presence reaper removes from the queue (their peers are told).
 */
let backing: Backing;
let survivor: NodeProcess;
let doomed: NodeProcess;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const env = {
    ...backing.env,
    MATCH_PAIR_INTERVAL_MS: '100',
    MATCH_FALLBACK_MS: '200',
    MATCH_COOLDOWN_SECONDS: '0',
    MATCH_SKIPS_PER_MINUTE: '1000000',
    SOCKET_EVENTS_PER_SECOND: '10000',
    PRESENCE_TTL_SECONDS: '3',
  };
  [survivor, doomed] = await Promise.all([startNodeProcess(env), startNodeProcess(env)]);
}, 60_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await doomed?.kill('SIGKILL');
  await survivor?.stop();
  await backing?.cleanup();
});

/** Someone only another such user fits (the crowd gave no gender): a pair the test can count on meeting. */
async function setApart(url: string, token: string): Promise<void> {
  expect((await http(url, 'PUT', '/api/profile', { token, body: { gender: 'other' } })).status).toBe(200);
  expect((await http(url, 'PUT', '/api/profile/preferences', { token, body: { seeksGenders: ['other'] } })).status).toBe(200);
}

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(10_000).emitWithAck(event, payload).catch((e: Error) => ({ ok: false, error: e.message })) as Promise<any>;

interface Cycler {
  id: string;
  node: 'survivor' | 'doomed';
  socket: ClientSocket;
  /** The session this user is in as far as they know: set by match:found, cleared by their skip's ack or match:ended. */
  current: string | null;
  found: string[];
}

describe('random matching while nodes race and one is killed', () => {
  it('never puts a user in two sessions, and the survivor keeps pairing after SIGKILL of the other node', async () => {
    const N = 40;
    const nodeOf = (i: number) => (i % 2 ? doomed : survivor);
    const users = await Promise.all(Array.from({ length: N }, (_, i) => newUser(nodeOf(i).url)));
    const doubles: string[] = [];
    /** Session → who was told of it, and whom they were told they met. */
    const foundBy = new Map<string, { user: string; peer: string }[]>();
    let stopped = false;
    const cyclers: Cycler[] = await Promise.all(
      users.map(async (u, i) => {
        const socket = await connect(nodeOf(i).url, u.accessToken);
        sockets.push(socket);
        return { id: u.user.id, node: i % 2 ? 'doomed' : 'survivor', socket, current: null, found: [] } as Cycler;
      }),
    );
    const join = (c: Cycler) => {
      if (stopped) return;
      // A double tap: two joins at once, as a nervous thumb sends them.
      void ack(c.socket, 'match:join', { mode: 'text', interests: Math.random() < 0.3 ? ['racing'] : [] });
      if (Math.random() < 0.3) void ack(c.socket, 'match:join', { mode: 'text' });
    };
    for (const c of cyclers) {
      c.socket.on('match:found', (f: any) => {
        if (c.current !== null) doubles.push(`${c.id} got ${f.sessionId} while in ${c.current}`);
        c.current = f.sessionId;
        c.found.push(f.sessionId);
        foundBy.set(f.sessionId, [...(foundBy.get(f.sessionId) ?? []), { user: c.id, peer: f.peer.userId }]);
        // The side with the smaller id skips at once; the other does too half the time (racing it).
        if (!stopped && (c.id < f.peer.userId || Math.random() < 0.5)) {
          void ack(c.socket, 'match:next', {}).then((r) => {
            if (r.ok && c.current === f.sessionId) c.current = null;
          });
        }
      });
      c.socket.on('match:ended', (e: any) => {
        if (c.current === e.sessionId) c.current = null;
        join(c);
      });
    }
    cyclers.forEach(join);
    const total = () => cyclers.reduce((n, c) => n + c.found.length, 0);
    await waitFor(() => total() >= 200, 90_000, '200 match:found over both nodes');

    // A survivor user paired with a doomed one, whom only they fit.
    const tag = `kill-${Math.random().toString(36).slice(2, 8)}`;
    const [s1, d1] = await Promise.all([newUser(survivor.url), newUser(doomed.url)]);
    await setApart(survivor.url, s1.accessToken);
    await setApart(doomed.url, d1.accessToken);
    const ss1 = await connect(survivor.url, s1.accessToken);
    const sd1 = await connect(doomed.url, d1.accessToken);
    sockets.push(ss1, sd1);
    const crossFound = nextEvent<any>(ss1, 'match:found', 30_000);
    await ack(ss1, 'match:join', { mode: 'text', interests: [tag] });
    await ack(sd1, 'match:join', { mode: 'text', interests: [tag] });
    expect((await crossFound).peer.userId).toBe(d1.user.id);
    const crossEnded = nextEvent<any>(ss1, 'match:ended', 60_000);

    // Two newcomers on the survivor, who fit only each other, ready to join once the other node is dead.
    const fresh = `after-${tag}`;
    const [n1, n2] = await Promise.all([newUser(survivor.url), newUser(survivor.url)]);
    await setApart(survivor.url, n1.accessToken);
    await setApart(survivor.url, n2.accessToken);
    const [sn1, sn2] = await Promise.all([connect(survivor.url, n1.accessToken), connect(survivor.url, n2.accessToken)]);
    sockets.push(sn1, sn2);

    const onSurvivor = cyclers.filter((c) => c.node === 'survivor');
    let firstAfterKill: number | undefined;
    for (const c of onSurvivor) c.socket.on('match:found', () => void (firstAfterKill ??= Date.now()));
    const beforeKill = onSurvivor.reduce((n, c) => n + c.found.length, 0);
    const killedAt = Date.now();
    await doomed.kill('SIGKILL');
    firstAfterKill = undefined;
    // Users left on the dead node's sockets join nothing more (their node is gone).
    for (const c of cyclers) if (c.node === 'doomed') c.socket.close();

    // The newcomers meet.
    const met = nextEvent<any>(sn1, 'match:found', 30_000);
    await ack(sn1, 'match:join', { mode: 'text', interests: [fresh] });
    await ack(sn2, 'match:join', { mode: 'text', interests: [fresh] });
    expect((await met).peer.userId).toBe(n2.user.id);
    const resumedMs = Date.now() - killedAt;
    // The survivor's own crowd keeps cycling, and the peer of the dead node's user is told once it is reaped.
    await waitFor(() => onSurvivor.reduce((n, c) => n + c.found.length, 0) >= beforeKill + 40, 60_000, '40 more match:found on the survivor');
    expect((await crossEnded).reason).toBe('disconnect');
    console.log(
      `after SIGKILL: first match:found on the survivor's crowd ${(firstAfterKill ?? NaN) - killedAt} ms, newcomers paired ${resumedMs} ms, the dead node's user reaped ${Date.now() - killedAt} ms`,
    );

    stopped = true;
    await Promise.all([...onSurvivor.map((c) => c.socket), ss1, sn1, sn2].map((s) => ack(s, 'match:leave', {})));

    // A match:found may reach a client before the ack of its own skip (another node paired it first), so
    // what clients saw is only reported; PostgreSQL, below, is the record of who was in which session when.
    if (doubles.length) console.log(`match:found before the previous session's end reached the client: ${doubles.length}`);
    // Both sides were told of every session, each of the other; only a user of the dead node can have missed one.
    const dead = new Set([...cyclers.filter((c) => c.node === 'doomed').map((c) => c.id), d1.user.id]);
    for (const [session, told] of foundBy) {
      expect(told.length, session).toBeLessThanOrEqual(2);
      if (told.length === 2) expect([told[0]!.peer, told[1]!.peer].sort()).toEqual([told[1]!.user, told[0]!.user].sort());
      else expect(dead.has(told[0]!.peer), `${session}: only ${told[0]!.user} was told`).toBe(true);
    }
    // In PostgreSQL: no user has two sessions open at once (a session starting before the user's previous one ended).
    // Each overlap names both sessions and the times that overlap, so a failure says which race it was.
    const overlaps = await pgQuery<{ user_id: string; earlier: string; earlier_ended: Date | null; later: string; later_started: Date }>(
      backing.databaseUrl,
      `WITH s AS (SELECT id, user_a AS user_id, started_at, ended_at FROM match_sessions UNION ALL SELECT id, user_b, started_at, ended_at FROM match_sessions)
       SELECT x.user_id, x.id AS earlier, x.ended_at AS earlier_ended, y.id AS later, y.started_at AS later_started
         FROM s x JOIN s y ON x.user_id = y.user_id AND x.id <> y.id
        WHERE y.started_at > x.started_at AND (x.ended_at IS NULL OR y.started_at < x.ended_at)`,
    );
    expect(overlaps).toEqual([]);
  }, 180_000);
});
