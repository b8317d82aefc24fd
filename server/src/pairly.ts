import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createHttpApp } from './http/app.js';
import { healthRouteDocs, healthRoutes, type ReadinessCheck } from './http/health.routes.js';
import { contractRouteDocs, contractRoutes } from './http/contract.routes.js';
import { mountedAt } from './http/route-docs.js';
import { openDrivers, openSfu, type Jobs } from './drivers.js';
import { createLogger, type Logger } from './logger.js';
import { IdleCollector, collectGarbage } from './idle-collector.js';
import { createMetrics, type Metrics } from './metrics.js';
import { EventRouter } from './realtime/event-router.js';
import { createIo, realtimeOf, tellResync, type PairlyServer } from './realtime/io.js';
import { OutboundGuard } from './realtime/outbound-guard.js';
import { memoryCheck } from './http/memory-check.js';
import { s3Origins } from './modules/media/storage.s3.js';
import { webAppRoutes } from './http/web-app.js';
import { createGuards } from './http/auth.middleware.js';
import { createModules, jobHandlersOf, schedulesOf, type Modules } from './modules.js';
import { embeddedJwtSecret } from './secrets.js';
import type { SfuController } from '../../shared/sfu.js';
import { clientEventSchemas } from '../../shared/events.js';
import type { CircuitState } from '../../shared/health.js';

export interface Pairly {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly io: PairlyServer;
  readonly httpServer: HttpServer;
  /** The Express app (tests list its routes). */
  readonly app: Express;
  /** This node's metrics (`/metrics`), and the count of requests it served (the idle collector's sign of traffic). */
  readonly metrics: Metrics;
  readonly jobs: Jobs;
  /** The modules' services (tests reach into them); `services.list` is what was mounted. */
  readonly services: Modules;
  listen(): Promise<number>;
  /** Graceful stop: refuse new work, tell clients to reconnect elsewhere, finish in-flight work, close pools. */
  shutdown(): Promise<void>;
  /** Which step a shutdown is at (`undefined` before one starts): what an overdue shutdown reports (main.ts). */
  shutdownStep(): string | undefined;
}

/** The composition root: config → clients → stores → services → http + io. */
export async function createPairly(
  config: Config,
  opts: {
    logger?: Logger;
    sfu?: SfuController;
    /** Embedded mode with the data dir locked: the CLI's control call is authorised by this secret (control.ts). */
    control?: { secret: string };
  } = {},
): Promise<Pairly> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, nodeId: config.nodeId });
  const jwtSecret = config.jwtSecret ?? embeddedJwtSecret(config.dataDir);

  const drivers = await openDrivers(config, logger, { role: 'node' });
  // Embedded start-up leaves a few hundred MB of WebAssembly memory to the garbage collector: initdb's instance on
  // a fresh data dir, and the compilation of PGlite's module. V8 sees external memory, not the pressure, and may
  // keep it for minutes of idling; one full collection right after the database opens gives it back at once.
  if (drivers.db.driver === 'pglite') collectGarbage();
  const { db, redis, jobs, limiter, dependencies } = drivers;
  const metrics = createMetrics(config.nodeId, { breakers: () => breakerStates(), replicas: () => db.replicas() });
  const idleCollector =
    config.idleGcGrowthMb > 0
      ? new IdleCollector({
          growthBytes: config.idleGcGrowthMb * 2 ** 20,
          intervalMs: 5000,
          logger,
          served: () => metrics.served.count,
          onCollected: (ms) => metrics.idleCollectionSeconds.observe(ms / 1000),
        })
      : undefined;

  const httpServer = createServer();
  const router = new EventRouter(clientEventSchemas, {
    perSocket: { points: config.socketEventsPerSecond * 2, windowMs: 2000 },
    userLimiter: drivers.syncedLimiter({ keyPrefix: 'user-events', points: config.socketEventsPerUserPerSecond * 2, durationSeconds: 2 }),
    logger,
    metrics,
  });

  // Services reach sockets only through `realtime`, which needs io, which needs auth: bound late.
  let io: PairlyServer | undefined;
  const realtime = realtimeOf(() => io!, { clustered: Boolean(drivers.ioAdapter) });

  const sfu = opts.sfu ?? openSfu(config, jwtSecret, logger);
  const services = createModules({
    config,
    jwtSecret,
    logger,
    drivers,
    realtime,
    sfu,
    control: opts.control,
    observeBatch: (batch, items, seconds) => {
      metrics.writeBatchItems.observe({ batch }, items);
      metrics.writeBatchSeconds.observe({ batch }, seconds);
    },
  });
  const modules = services.list;
  const breakerStates = (): Record<string, CircuitState> => ({
    ...Object.fromEntries([...services.providers.values()].flatMap((p) => (p.breaker ? [[p.breaker.name, p.breaker.state()]] : []))),
    ...Object.fromEntries(Object.entries(sfu?.circuits() ?? {}).map(([id, state]) => [`sfu:${id}`, state])),
  });
  const guards = createGuards(services.auth, { wrote: (userId) => db.wrote(userId) });

  let shuttingDown = false;
  let step: string | undefined;
  const checks: ReadinessCheck[] = [{ name: 'database', check: async () => void (await db.query('SELECT 1')) }];
  if (redis) checks.push({ name: 'redis', check: async () => void (await redis.ping()) });
  checks.push(memoryCheck(config.memoryReady));

  const app = createHttpApp({
    config,
    logger,
    metrics,
    apiLimiter: limiter({ keyPrefix: 'http-ip', points: config.httpRateLimit.maxPerIp, durationSeconds: config.httpRateLimit.windowSeconds }),
    mount: (root, api) => {
      // Outside the per-address limit: probes and scrapers poll from one address by design, and a
      // throttled webhook is a failed delivery that the provider retries with backoff and finally
      // gives up on (Stripe disables the endpoint), losing payment events. Webhooks are cheap to
      // refuse anyway: the signature is checked before any work.
      root.use(healthRoutes({ nodeId: config.nodeId, metrics, checks, isShuttingDown: () => shuttingDown, breakers: breakerStates }));
      for (const m of modules) if (m.publicRoutes) root.use(m.publicRoutes);
      for (const m of modules) if (m.routes) api.use(m.routes(guards));
      // The published contract, from every module's route table (test/integration/openapi.test.ts holds it to what is mounted).
      const docs = [...healthRouteDocs, ...modules.flatMap((m) => m.docs ?? []), ...mountedAt('/api', contractRouteDocs, 'contract')];
      api.use(contractRoutes(docs));
    },
    web: webAppRoutes(config.webDir, config.sfu.instances.map((i) => i.clientUrl), {
      razorpay: config.payments.razorpay !== undefined,
      media: config.media.storage?.driver === 's3' ? s3Origins(config.media.storage) : [],
    }),
  });
  httpServer.on('request', app);

  const lifecycle = modules.flatMap((m) => m.events?.(router) ?? []);
  io = createIo({
    httpServer,
    config,
    logger,
    metrics,
    auth: services.auth,
    router,
    adapter: drivers.ioAdapter,
    lifecycle,
    outbound: new OutboundGuard({
      maxBytes: config.socketMaxBufferedBytes,
      logger,
      onCutOff: () => metrics.socketsCutOff.inc({ reason: 'outbound_buffer' }),
    }),
    quota: drivers.socketQuota,
  });
  for (const m of modules) await m.start?.({ io, metrics });
  // Presence writes made while Redis was away were skipped, and a restarted Redis has none: put this node's sockets back.
  dependencies.redis.onBack(() => void services.presence.rebuild('reconnected').catch((err) => logger.warn({ err }, 'presence rebuild failed')));
  // A Redis that restarted empty has forgotten which sessions were revoked: PostgreSQL has not.
  dependencies.redis.onBack(() => void services.auth.seedRevocations().catch((err) => logger.warn({ err }, 'revocation re-seed failed')));
  // Pushes published while this node had lost Redis reached nobody: once it has subscribed again, clients catch up.
  if (drivers.ioAdapter) {
    dependencies.redis.onBack(() =>
      void drivers
        .subscribed()
        .then(() => tellResync(io!, config.nodeId))
        .catch((err) => logger.warn({ err }, 'resync after a Redis reconnection failed')),
    );
  }
  await jobs.startWorkers({ handlers: jobHandlersOf(modules), onDead: (f) => services.deadLetters.record(f), schedules: schedulesOf(modules) });

  const graceMs = config.shutdownGraceSeconds * 1000;
  return {
    config,
    logger,
    db,
    io,
    httpServer,
    app,
    metrics,
    jobs,
    services,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
          httpServer.off('error', reject);
          const port = (httpServer.address() as AddressInfo).port;
          logger.info({ port, mode: config.mode, db: db.driver, jobs: jobs.queue.driver }, 'pairly listening');
          resolve(port);
        });
      }),
    async shutdown() {
      if (shuttingDown) return;
      shuttingDown = true;
      // Each step is logged and kept, so a shutdown that never ends says where it stopped (main.ts's deadline).
      const at = (next: string) => {
        step = next;
        logger.info({ step: next }, 'shutting down');
      };
      at('refusing new work');
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      io!.local.emit('system:shutdown', { nodeId: config.nodeId, reconnect: true });
      at('draining socket events');
      await router.drain(graceMs);
      // Closing the engine (not disconnecting the sockets) makes clients see "transport close" and reconnect.
      at('closing sockets');
      await io!.close();
      // This node's sockets are gone: tell their peers now rather than after the presence TTL (the presence module's stop).
      for (const m of [...modules].reverse()) {
        if (!m.stop) continue;
        at(`stopping module ${m.name}`);
        await Promise.resolve(m.stop()).catch((err) => logger.warn({ err, module: m.name }, 'module stop failed'));
      }
      at('closing HTTP connections');
      const force = setTimeout(() => httpServer.closeAllConnections(), graceMs);
      await httpClosed;
      clearTimeout(force);
      at('finishing started jobs');
      await jobs.close();
      at('closing the SFU client');
      await sfu?.close();
      at('closing the database and Redis');
      await drivers.close();
      idleCollector?.stop();
      step = 'done';
      logger.info('shut down');
    },
    shutdownStep: () => step,
  };
}

