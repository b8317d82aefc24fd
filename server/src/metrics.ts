import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per Pairly instance (tests run several in one process). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  socketEvents: Counter<'event' | 'outcome'>;
  connectedSockets: Gauge;
  socketsCutOff: Counter<'reason'>;
}

export function createMetrics(nodeId: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  // Includes nodejs_eventloop_lag_seconds and its percentiles.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
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
  };
}
