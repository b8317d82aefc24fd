import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitState } from '../../shared/health.js';
import type { ReplicaStatus } from './db/database.js';

const CIRCUIT_STATES: CircuitState[] = ['closed', 'half-open', 'open'];

/** One registry per Pairly instance (tests run several in one process). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  socketEvents: Counter<'event' | 'outcome'>;
  connectedSockets: Gauge;
  socketsCutOff: Counter<'reason'>;
  /** Group commits (chat sends and receipts, the ledger): requests per batch and time to each batch's outcome. */
  writeBatchItems: Histogram<'batch'>;
  writeBatchSeconds: Histogram<'batch'>;
  /** The idle collector's full collections (idle-collector.ts): how long each paused the node. */
  idleCollectionSeconds: Histogram;
  /** Client requests this node has handled so far (HTTP requests, socket events and socket connections): the idle collector's sign of traffic. */
  served: { count: number };
}

/** `breakers` and `replicas` are read at each scrape (the breakers are built after the metrics). */
export function createMetrics(nodeId: string, opts: { breakers?: () => Record<string, CircuitState>; replicas?: () => ReplicaStatus[] } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  // Includes nodejs_eventloop_lag_seconds and its percentiles.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  new Gauge({
    name: 'pairly_circuit_breaker_state',
    help: 'Circuit breakers in front of outside services (payments:<provider>, sfu:<instance>): 1 for the state each is in, 0 for the others',
    labelNames: ['breaker', 'state'],
    registers: [registry],
    collect() {
      for (const [breaker, current] of Object.entries(opts.breakers?.() ?? {})) {
        for (const state of CIRCUIT_STATES) this.set({ breaker, state }, state === current ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'pairly_database_replica_lag_seconds',
    help: 'How far each read replica is behind, as its last check saw it: 0 when it has replayed up to the primary, else the time since a check last saw it caught up (absent while unknown)',
    labelNames: ['replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of opts.replicas?.() ?? []) if (r.lagMs !== null) this.set({ replica: r.name }, r.lagMs / 1000);
    },
  });
  new Gauge({
    name: 'pairly_database_replica_up',
    help: 'Whether each read replica serves reads (answered its check, in recovery, within DATABASE_REPLICA_MAX_LAG_MS)',
    labelNames: ['replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of opts.replicas?.() ?? []) this.set({ replica: r.name }, r.healthy ? 1 : 0);
    },
  });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'pairly_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    socketEvents: new Counter({
      name: 'pairly_socket_events_total',
      help: 'Socket.IO client events received, by event name and outcome',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    connectedSockets: new Gauge({
      name: 'pairly_connected_sockets',
      help: 'Socket.IO connections open on this node',
      registers: [registry],
    }),
    socketsCutOff: new Counter({
      name: 'pairly_sockets_cut_off_total',
      help: 'Connections this node closed to protect itself, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    writeBatchItems: new Histogram({
      name: 'pairly_write_batch_items',
      help: 'Requests committed together in one group commit, by batcher (chat.send, chat.receipts, ledger)',
      labelNames: ['batch'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    writeBatchSeconds: new Histogram({
      name: 'pairly_write_batch_seconds',
      help: 'Time from a group commit leaving to its outcome (its transaction committed or failed), by batcher',
      labelNames: ['batch'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    idleCollectionSeconds: new Histogram({
      name: 'pairly_idle_collection_seconds',
      help: "The idle collector's full garbage collections (after a burst, once the node is quiet): how long each paused the event loop",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    served: { count: 0 },
  };
}
