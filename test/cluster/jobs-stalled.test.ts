import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { http, newUser, waitFor } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, startNodeProcess, type Backing, type InProcessNode, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * A workers process SIGKILLed in the middle of a job: another workers
 * process finds the job stalled (JOB_LOCK_MS, JOB_STALLED_INTERVAL_MS),
 * says so in its log, and runs it again; a job that stalls more often than
 * JOB_MAX_STALLED_COUNT allows lands in the one dead-letter path, where an
 * admin sees it and retries it. The job is held mid-flight by a row lock the
 * test takes on the payment its webhook event is about.
 */
let backing: Backing;
let node: InProcessNode;
const workers: NodeProcess[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, PAYMENTS_SANDBOX: 'true' });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await node?.stop();
  await backing?.cleanup();
});

async function startWorkers(maxStalled: number): Promise<NodeProcess> {
  const w = await startNodeProcess(
    {
      ...backing.env,
      PAYMENTS_SANDBOX: 'true',
      LOG_LEVEL: 'info',
      JOB_LOCK_MS: '1000',
      JOB_STALLED_INTERVAL_MS: '300',
      JOB_MAX_STALLED_COUNT: String(maxStalled),
    },
    { entry: 'workers/src/main.ts', waitForHealth: false },
  );
  workers.push(w);
  await waitFor(() => w.output().includes('workers running'), 30_000, `workers running:\n${w.output()}`);
  return w;
}

/** A sandbox payment whose row the test holds locked, so the job processing its webhook blocks mid-job. */
async function paymentWithBlockedJob(): Promise<{ paymentId: string; token: string; release(): Promise<void> }> {
  const u = await newUser(node.url);
  const c = await http(node.url, 'POST', '/api/payments/checkout', {
    token: u.accessToken,
    body: { packId: 'starter', provider: 'sandbox' },
    headers: { 'idempotency-key': randomUUID() },
  });
  const paymentId = c.body.payment.id as string;
  const lock = new pg.Client({ connectionString: backing.databaseUrl });
  lock.on('error', () => undefined); // dropped with the database if a test fails while holding it
  await lock.connect();
  await lock.query('BEGIN');
  await lock.query('SELECT 1 FROM payments WHERE id = $1 FOR UPDATE', [paymentId]);
  expect((await http(node.url, 'POST', `/api/payments/sandbox/${paymentId}`, { token: u.accessToken, body: { action: 'succeed' } })).status).toBe(200);
  await waitFor(
    async () => (await pgQuery<{ n: number }>(backing.databaseUrl, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`))[0]!.n > 0,
    15_000,
    'the job blocked on the payment row',
  );
  return {
    paymentId,
    token: u.accessToken,
    async release() {
      await lock.query('COMMIT');
      await lock.end();
    },
  };
}

const paymentStatus = async (id: string) => (await pgQuery<{ status: string }>(backing.databaseUrl, 'SELECT status FROM payments WHERE id = $1', [id]))[0]?.status;

describe('a workers process killed mid-job', () => {
  it('the job is found stalled by another workers process, logged, and run again', async () => {
    const first = await startWorkers(1);
    const p = await paymentWithBlockedJob();
    await first.kill('SIGKILL');
    const second = await startWorkers(1);
    await waitFor(() => second.output().includes('job stalled'), 20_000, 'the stalled job noticed');
    expect(second.output()).toMatch(/"queue":"payments.process-event".*job stalled/);
    await p.release();
    await waitFor(async () => (await paymentStatus(p.paymentId)) === 'succeeded', 20_000, 'the recovered job to credit the payment');
    expect((await http(node.url, 'GET', '/api/wallet', { token: p.token })).body.wallet.available).toBe(100);
    await second.stop();
    // Two workers processes start one after the other: under CI's parallel load each takes seconds.
  }, 90_000);

  it('a job that stalls more than JOB_MAX_STALLED_COUNT is dead-lettered; an admin sees it and retries it', async () => {
    const admin = await newAdmin(node.pairly, node.url);
    const first = await startWorkers(0);
    const p = await paymentWithBlockedJob();
    await first.kill('SIGKILL');
    await startWorkers(0);

    const list = () => http(node.url, 'GET', '/api/admin/jobs/dead-letters', { token: admin.token });
    const dead = await waitFor(async () => (await list()).body.deadLetters.find((d: any) => d.job === 'payments.process-event'), 20_000, 'the dead letter');
    expect(dead).toMatchObject({ stalled: true, retriedAt: null, payload: { provider: 'sandbox' } });
    // The killed worker's PostgreSQL session still waits in the lock queue (holding the event's row)
    // until the lock it waits for is granted; then it finds its client gone and rolls back.
    await p.release();
    // The payment event itself is dead too, so nothing re-queues it behind the admins' backs.
    const deadEvent = async () =>
      (await http(node.url, 'GET', '/api/admin/payments/dead-letters', { token: admin.token })).body.events.some((e: any) => e.eventId === dead.payload.eventId);
    await waitFor(deadEvent, 15_000, 'the payment event dead-lettered');
    expect(await paymentStatus(p.paymentId)).toBe('pending');

    const retry = await http(node.url, 'POST', `/api/admin/jobs/dead-letters/${dead.id}/retry`, { token: admin.token });
    expect(retry.status).toBe(202);
    await waitFor(async () => (await paymentStatus(p.paymentId)) === 'succeeded', 20_000, 'the retried job to credit the payment');
    const again = await http(node.url, 'POST', `/api/admin/jobs/dead-letters/${dead.id}/retry`, { token: admin.token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ queued: false, deadLetter: { id: dead.id, retriedBy: admin.userId } });
    expect((await list()).body.deadLetters.some((d: any) => d.id === dead.id)).toBe(false);
    expect((await http(node.url, 'POST', '/api/admin/jobs/dead-letters/999999/retry', { token: admin.token })).status).toBe(404);
  });
});
