import { Gauge, type Registry } from 'prom-client';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { DeadLettersService } from '../dead-letters/dead-letters.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { PaymentsService } from '../payments/payments.service.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * The operations metrics on /metrics, read at each scrape from their owners (the queue driver, dead letters,
 * payments, the ledger's last verification). Queue and database figures are the cluster's, not this node's:
 * every node reports the same values under its own `node` label, so dashboards and alerts take max() over
 * nodes (ops/prometheus/alerts.yml does). The queue figures (Redis) are read once per scrape; those from
 * PostgreSQL at most once per `dbCacheMs` per node (METRICS_DB_CACHE_SECONDS), so N nodes scraped every 15 s
 * cost the database N reads per period rather than one per scrape of each gauge's source. A source that
 * fails leaves its last values and logs once per scrape, so /metrics itself never fails. Returns the
 * unregister function.
 */
export function registerOpsMetrics(
  registry: Registry,
  d: { jobs: JobQueue; deadLetters: DeadLettersService; payments: PaymentsService; ledger: LedgerService; logger: Logger; dbCacheMs: number },
): () => void {
  // One read per source per scrape, however many gauges show it; the database's, one per dbCacheMs.
  const stats = fresh(() => d.jobs.stats());
  const payments = fresh(() => d.payments.health(), d.dbCacheMs);
  const verification = fresh(() => d.ledger.lastVerification(), d.dbCacheMs);
  const deadLetters = fresh(() => d.deadLetters.openCount(), d.dbCacheMs);
  const guarded = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      d.logger.warn({ err, metrics: what }, 'metrics source failed: keeping its last values');
    }
  };
  const gauges = [
    new Gauge({
      name: 'pairly_queue_jobs',
      help: 'Background jobs by queue (job name) and state (the cluster-wide queue, reported by every node)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        await guarded('queues', async () => {
          for (const q of await stats()) for (const state of JOB_STATES) this.set({ queue: q.name, state }, q[state]);
        });
      },
    }),
    new Gauge({
      name: 'pairly_queue_oldest_waiting_seconds',
      help: 'How long the oldest job ready to run has waited, by queue (0: none waiting)',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        await guarded('queue age', async () => {
          for (const q of await stats()) this.set({ queue: q.name }, q.oldestWaitingSeconds);
        });
      },
    }),
    new Gauge({
      name: 'pairly_dead_letters_open',
      help: 'Jobs that failed for good and were not retried yet (job_dead_letters)',
      registers: [registry],
      async collect() {
        await guarded('dead letters', async () => this.set(await deadLetters()));
      },
    }),
    new Gauge({
      name: 'pairly_payment_checkouts_last_hour',
      help: 'Checkouts opened in the last hour, by provider and current status',
      labelNames: ['provider', 'status'],
      registers: [registry],
      async collect() {
        await guarded('payments', async () => {
          const h = await payments();
          this.reset();
          for (const c of h.checkouts) this.set({ provider: c.provider, status: c.status }, c.n);
        });
      },
    }),
    new Gauge({
      name: 'pairly_payment_events',
      help: 'Provider webhook events not processed: pending (stored, job not done) and dead (given up on)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        await guarded('payment events', async () => {
          const h = await payments();
          this.set({ status: 'pending' }, h.pending);
          this.set({ status: 'dead' }, h.dead);
        });
      },
    }),
    new Gauge({
      name: 'pairly_payment_webhook_lag_seconds',
      help: 'Age of the oldest provider webhook event still pending processing (0: none)',
      registers: [registry],
      async collect() {
        await guarded('webhook lag', async () => this.set((await payments()).oldest_pending_seconds));
      },
    }),
    new Gauge({
      name: 'pairly_ledger_verification_ok',
      help: 'The last scheduled ledger verification (job ledger.verify): 1 passed, 0 failed; absent before the first run',
      registers: [registry],
      async collect() {
        await guarded('ledger verification', async () => {
          const v = await verification();
          if (v) this.set(v.ok ? 1 : 0);
        });
      },
    }),
    new Gauge({
      name: 'pairly_ledger_verification_age_seconds',
      help: 'Seconds since the last scheduled ledger verification ran',
      registers: [registry],
      async collect() {
        await guarded('ledger verification age', async () => {
          const v = await verification();
          if (v) this.set(v.age_seconds);
        });
      },
    }),
  ];
  const names = gauges.map((g) => (g as unknown as { name: string }).name);
  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}

/**
 * The same promise for calls within `ms` (the gauges of one scrape, or the scrapes of a cache period), a new
 * read after. A read that failed is not kept: the next call tries again.
 */
function fresh<T>(read: () => Promise<T>, ms = 1000): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > ms) {
      const entry = { at: Date.now(), value: read() };
      entry.value.catch(() => {
        if (last === entry) last = undefined;
      });
      last = entry;
    }
    return last.value;
  };
}
