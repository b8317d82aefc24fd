import { Router } from 'express';
import type { CircuitState, ReadyzBody } from '../../../shared/health.js';
import type { Metrics } from '../metrics.js';
import type { RouteDoc } from './route-docs.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/**
 * Liveness, readiness (every dependency answers) and Prometheus metrics.
 * Circuit breakers are reported with readiness but do not decide it (see
 * shared/health.ts for why).
 */
export function healthRoutes(opts: {
  nodeId: string;
  metrics: Metrics;
  checks: ReadinessCheck[];
  isShuttingDown: () => boolean;
  breakers?: () => Record<string, CircuitState>;
}): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', node: opts.nodeId });
  });
  r.get('/readyz', async (_req, res) => {
    const results: Record<string, string> = {};
    await Promise.all(
      opts.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2000);
          results[c.name] = 'ok';
        } catch (err) {
          results[c.name] = err instanceof Error ? err.message : 'failed';
        }
      }),
    );
    const ready = !opts.isShuttingDown() && Object.values(results).every((v) => v === 'ok');
    const body: ReadyzBody = {
      status: ready ? 'ready' : opts.isShuttingDown() ? 'shutting_down' : 'not_ready',
      node: opts.nodeId,
      checks: results,
      breakers: opts.breakers?.() ?? {},
    };
    res.status(ready ? 200 : 503).json(body);
  });
  r.get('/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  return r;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness: the process answers.', auth: 'none', response: { status: 200, description: '{ status, node }' }, tag: 'operations' },
  { method: 'get', path: '/readyz', summary: 'Readiness: every dependency answers (503 otherwise); circuit breakers reported.', auth: 'none', response: { status: 200, description: 'per-check results' }, tag: 'operations' },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (text exposition format).', auth: 'none', response: { status: 200, description: 'text/plain metrics' }, tag: 'operations' },
];
