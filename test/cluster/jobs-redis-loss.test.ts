import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { http, newUser, waitFor } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { pgQuery } from '../support/services.js';
import type { SandboxProvider } from '../../server/src/modules/payments/payments.service.js';

/**
 * Redis losing its data under a running cluster node: a private redis-server
 * (the shared one serves other test files) is SIGKILLed and started again
 * empty on the same port, or flushed under a live connection. Recurring jobs
 * must come back by themselves, and work whose job was lost must be repaired
 * by a sweep.
 */
let backing: Backing;
let redis: PrivateRedis;
let node: InProcessNode | undefined;

beforeAll(async () => {
  [backing, redis] = await Promise.all([createBacking(), startPrivateRedis()]);
});
afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await redis?.kill();
  await backing?.cleanup();
});

const start = (extra: Record<string, string>) =>
  startInProcess({
    ...backing.env,
    REDIS_URL: redis.url,
    RUN_WORKERS: 'true',
    PAYMENTS_SANDBOX: 'true',
    HOLD_SWEEP_SECONDS: '1',
    PAYMENTS_REQUEUE_SECONDS: '1',
    JOB_BACKOFF_MS: '50',
    ...extra,
  });

/** The ledger.expire-holds schedule is alive: a hold that expires is voided by it. */
async function holdExpires(n: InProcessNode): Promise<void> {
  const u = await newUser(n.url);
  await fund(n.pairly, u.user.id, 5);
  const key = `test-hold:${randomUUID()}`;
  await n.pairly.services.ledger.hold({ key, userId: u.user.id, amount: 2, ttlSeconds: 1, kind: 'call_hold' });
  await waitFor(async () => !(await n.pairly.services.ledger.holdPending(key)), 20_000, 'the expired hold voided by the schedule');
}

describe('Redis loses its data', () => {
  it('after a Redis restart the schedules come back on reconnect, and a payment event whose job was lost is processed', async () => {
    // The periodic check is off here: only the reconnect can bring the schedules back.
    node = await start({ JOB_SCHEDULE_CHECK_SECONDS: '86400' });
    await holdExpires(node);

    await redis.kill();
    await redis.start();
    // Requests fail NOT_READY until the node has reconnected (by design); wait for that, not for a lucky moment.
    await waitFor(async () => (await http(node!.url, 'GET', '/readyz')).status === 200, 20_000, 'the node to reconnect to Redis');
    await holdExpires(node);

    // A webhook stored before the crash, its processing job lost with Redis' data.
    const u = await newUser(node.url);
    const c = await http(node.url, 'POST', '/api/payments/checkout', {
      token: u.accessToken,
      body: { packId: 'starter', provider: 'sandbox' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(c.status).toBe(201);
    const p = c.body.payment;
    const sandbox = node.pairly.services.providers.get('sandbox') as SandboxProvider;
    const { body, signature } = sandbox.makeEvent('payment.succeeded', { ref: p.providerRef, paymentId: p.id, amountMinor: p.amountMinor, currency: p.currency });
    const event = sandbox.verifyWebhook(Buffer.from(body), { 'x-sandbox-signature': signature });
    await node.pairly.services.paymentsStore.storeEvent({ provider: 'sandbox', id: event.id, type: event.type, payload: event.payload });
    await pgQuery(backing.databaseUrl, `UPDATE payment_events SET received_at = now() - interval '2 minutes' WHERE event_id = $1`, [event.id]);
    await waitFor(async () => (await pgQuery<any>(backing.databaseUrl, 'SELECT status FROM payments WHERE id = $1', [p.id]))[0]?.status === 'succeeded', 20_000, 'the lost event processed');
    expect((await http(node.url, 'GET', '/api/wallet', { token: u.accessToken })).body.wallet.available).toBe(100);

    await node.stop();
    node = undefined;
  });

  it('a Redis flushed under a live connection: the periodic check re-creates the schedules', async () => {
    node = await start({ JOB_SCHEDULE_CHECK_SECONDS: '1' });
    await holdExpires(node);
    const admin = redis.client();
    await admin.flushall();
    admin.disconnect();
    await holdExpires(node);
  });
});
