import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { assertJanusInstalled, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';
import { pgQuery } from '../support/services.js';

/**
 * A server node dies (SIGKILL) in the middle of a priced call: the minute
 * ticks live in BullMQ and run in the workers process, the call's state in
 * PostgreSQL and its media in Janus, so the call goes on; the caller comes
 * back through the other node and hangs up there. Billed exactly the
 * minutes it lasted, each once.
 */
const MINUTE_S = 2;
let backing: Backing;
let netns: TestNetns;
let janus: JanusProcess;
let a: NodeProcess;
let b: NodeProcess;
let workers: NodeProcess;

beforeAll(async () => {
  assertNetnsSupport();
  assertJanusInstalled();
  netns = createNetns();
  janus = await startJanus(netns);
  backing = await createBacking();
  const env = {
    ...backing.env,
    CALL_MINUTE_SECONDS: String(MINUTE_S),
    CALL_GRACE_SECONDS: '0.5',
    PRESENCE_TTL_SECONDS: '30',
    PAYMENTS_SANDBOX: 'true',
    SFU_JANUS_INSTANCES: JSON.stringify([{ id: 'janus-1', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }]),
  };
  [a, b, workers] = await Promise.all([
    startNodeProcess(env),
    startNodeProcess(env),
    startNodeProcess(env, { entry: 'workers/src/main.ts', waitForHealth: false }),
  ]);
}, 90_000);
afterAll(async () => {
  await Promise.all([a?.kill('SIGKILL'), b?.stop(), workers?.stop()]);
  await janus?.stop();
  netns?.remove();
  await backing?.cleanup();
});

describe('a node lost mid-call', () => {
  it('keeps billing through the workers and bills exactly the minutes the call lasted', async () => {
    const creator = await newUser(b.url, { role: 'creator' });
    await http(b.url, 'PATCH', '/api/me', { token: creator.accessToken, body: { callPricePerMinute: 10 } });
    const fan = await newUser(a.url);
    // Funded the way a fan would be: a sandbox purchase, credited by the workers process.
    const checkout = await http(a.url, 'POST', '/api/payments/checkout', {
      token: fan.accessToken,
      body: { packId: 'starter', provider: 'sandbox' },
      headers: { 'idempotency-key': `fund-${fan.user.id}` },
    });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(201);
    const funded = await connect(a.url, fan.accessToken);
    const credited = nextEvent<any>(funded, 'wallet:updated', 15_000);
    await http(a.url, 'POST', checkout.body.client.completeUrl, { token: fan.accessToken, body: { action: 'succeed' } });
    expect((await credited).available).toBe(100);
    funded.close();

    const caller = await connect(a.url, fan.accessToken);
    const callee = await connect(b.url, creator.accessToken);
    const ack = (s: typeof caller, ev: string, p: unknown) => (s as any).timeout(8000).emitWithAck(ev, p) as Promise<any>;
    const { call } = await ack(caller, 'call:invite', { toUserId: creator.user.id, video: true, expectedPrice: 10 });
    const accepted = await ack(callee, 'call:accept', { callId: call.id });
    expect(accepted.ok).toBe(true);
    const answeredAt = Date.parse(accepted.call.answeredAt);

    // Node A (the caller's) dies a little into the second minute.
    await new Promise((r) => setTimeout(r, answeredAt + MINUTE_S * 1000 + 300 - Date.now()));
    await a.kill('SIGKILL');
    caller.close();
    const back = await connect(b.url, fan.accessToken);

    // Hang up from node B just after the fourth minute boundary.
    await new Promise((r) => setTimeout(r, answeredAt + 4 * MINUTE_S * 1000 + 150 - Date.now()));
    const ended = nextEvent<any>(callee, 'call:ended');
    const hung = await ack(back, 'call:hangup', { callId: call.id });
    expect(hung.ok).toBe(true);
    expect((await ended).call).toMatchObject({ minutesBilled: 4, creditsBilled: 40 });
    const wallet = (await http(b.url, 'GET', '/api/wallet', { token: fan.accessToken })).body.wallet;
    expect(wallet).toMatchObject({ available: 60, held: 0 });
    const posted = await pgQuery<{ key: string }>(
      backing.databaseUrl,
      `SELECT idempotency_key AS key FROM ledger_transfers WHERE idempotency_key LIKE $1 ORDER BY id`,
      [`call:${call.id}:min:%:creator`],
    );
    expect(posted.map((p) => p.key)).toEqual([1, 2, 3, 4].map((n) => `call:${call.id}:min:${n}:creator`));
    back.close();
    callee.close();
  });
});
