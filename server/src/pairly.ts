import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createHttpApp } from './http/app.js';
import { healthRoutes, type ReadinessCheck } from './http/health.routes.js';
import { openDrivers, openSfu, type Jobs } from './drivers.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { localLimiter } from './ratelimit.js';
import { EventRouter } from './realtime/event-router.js';
import { createIo, realtimeOf, type PairlyServer } from './realtime/io.js';
import { OutboundGuard } from './realtime/outbound-guard.js';
import { memoryCheck } from './http/memory-check.js';
import { embeddedJwtSecret } from './secrets.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { AuthService } from './modules/auth/auth.service.js';
import { AuthStore } from './modules/auth/auth.store.js';
import { createPasswordHasher } from './modules/auth/passwords.js';
import { AccessTokens } from './modules/auth/tokens.js';
import { meRoutes } from './modules/users/users.routes.js';
import { UsersService } from './modules/users/users.service.js';
import { walletRoutes } from './modules/ledger/ledger.routes.js';
import { paymentsRoutes, webhookRoutes } from './modules/payments/payments.routes.js';
import { adminMoneyRoutes } from './modules/admin/admin.routes.js';
import { adminControlRoutes } from './modules/admin/admin.control.routes.js';
import { createAdmin } from './modules/admin/admin.create.js';
import { deadLetterRoutes } from './modules/dead-letters/dead-letters.routes.js';
import { createDomain, createJobHandlers, recurringJobs, type Domain } from './domain.js';
import { createSocial } from './social.js';
import type { SfuController } from '../../shared/sfu.js';
import { systemEvents } from './modules/system/system.socket.js';
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
  readonly jobs: Jobs;
  readonly auth: AuthService;
  readonly domain: Domain;
  readonly social: ReturnType<typeof createSocial>;
  listen(): Promise<number>;
  /** Graceful stop: refuse new work, tell clients to reconnect elsewhere, finish in-flight work, close pools. */
  shutdown(): Promise<void>;
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
  const { db, redis, jobs, limiter, dependencies } = drivers;
  const metrics = createMetrics(config.nodeId, { breakers: () => breakerStates() });

  const httpServer = createServer();
  const router = new EventRouter(clientEventSchemas, {
    limiter: localLimiter({
      keyPrefix: 'socket-events',
      points: config.socketEventsPerSecond * 2,
      durationSeconds: 2,
    }),
    userLimiter: limiter({
      keyPrefix: 'user-events',
      points: config.socketEventsPerUserPerSecond * 2,
      durationSeconds: 2,
    }),
    logger,
    metrics,
  });

  // Services reach sockets only through `realtime`, which needs io, which needs auth: bound late.
  let io: PairlyServer | undefined;
  const realtime = realtimeOf(() => io!);

  const presenceStore = drivers.presence;
  const sfu = opts.sfu ?? openSfu(config, jwtSecret, logger);
  const domain = createDomain({ config, jwtSecret, db, logger, jobs: jobs.queue, realtime, presence: presenceStore, sfu });
  const { users, audit, ledger, payments } = domain;
  const authStore = new AuthStore(db);
  const revocationOptions = {
    ttlSeconds: config.accessTokenTtlSeconds,
    revokedSessions: () => authStore.sessionsRevokedSince(config.accessTokenTtlSeconds),
  };
  const breakerStates = (): Record<string, CircuitState> => ({
    ...Object.fromEntries([...domain.providers.values()].flatMap((p) => (p.breaker ? [[p.breaker.name, p.breaker.state()]] : []))),
    ...Object.fromEntries(Object.entries(sfu?.circuits() ?? {}).map(([id, state]) => [`sfu:${id}`, state])),
  });
  const auth = new AuthService({
    users,
    store: authStore,
    tokens: new AccessTokens(jwtSecret, config.accessTokenTtlSeconds),
    passwords: createPasswordHasher(config.argon2MemoryKib),
    revocations: drivers.revocations(revocationOptions),
    signupsByIp: limiter({ keyPrefix: 'signup-ip', points: config.signup.maxPerIp, durationSeconds: config.signup.windowSeconds }),
    loginFailures: {
      byEmail: limiter({ keyPrefix: 'login-email', points: config.login.maxFailuresPerEmail, durationSeconds: config.login.windowSeconds }),
      byIp: limiter({ keyPrefix: 'login-ip', points: config.login.maxFailuresPerIp, durationSeconds: config.login.windowSeconds }),
    },
    audit,
    realtime,
    refreshTtlDays: config.refreshTokenTtlDays,
  });
  const usersService = new UsersService(users, realtime, audit);
  const social = createSocial({ config, jwtSecret, db, logger, metrics, limiter, realtime, domain, auth, presenceStore, counters: drivers.counters, matchQueue: drivers.matchQueue, sfu });
  await auth.seedRevocations();

  let shuttingDown = false;
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
      root.use('/api/payments/webhooks', webhookRoutes(payments));
      if (opts.control) {
        const adminDeps = { users, audit: domain.auditStore, passwords: createPasswordHasher(config.argon2MemoryKib) };
        root.use(adminControlRoutes({ secret: opts.control.secret, createAdmin: (input) => createAdmin(adminDeps, input, 'control') }));
      }
      api.use('/auth', authRoutes(auth));
      api.use('/me', meRoutes(auth, usersService));
      api.use('/wallet', walletRoutes(auth, ledger));
      api.use('/payments', paymentsRoutes(auth, payments));
      social.mount(api);
      api.use('/admin/jobs', deadLetterRoutes({ auth, deadLetters: domain.deadLetters, audit }));
      api.use(
        '/admin',
        adminMoneyRoutes({
          auth,
          ledger,
          ledgerStore: domain.ledgerStore,
          payments,
          reconciliation: domain.reconciliationStore,
          audit,
          jobs: jobs.queue,
          deadLetters: domain.deadLetters,
        }),
      );
    },
  });
  httpServer.on('request', app);

  systemEvents(router, config.nodeId, auth);
  const lifecycle = social.events(router);
  io = createIo({
    httpServer,
    config,
    logger,
    metrics,
    auth,
    router,
    adapter: drivers.ioAdapter,
    lifecycle,
    outbound: new OutboundGuard({
      maxBytes: config.socketMaxBufferedBytes,
      logger,
      onCutOff: () => metrics.socketsCutOff.inc({ reason: 'outbound_buffer' }),
    }),
    quota: { store: drivers.socketQuota, max: config.socketsPerUserMax, ttlMs: config.chat.presenceTtlSeconds * 1000 },
  });
  await social.start(io);
  // Presence writes made while Redis was away were skipped, and a restarted Redis has none: put this node's sockets back.
  dependencies.redis.onBack(() => void social.presence.rebuild('reconnected').catch((err) => logger.warn({ err }, 'presence rebuild failed')));
  // A Redis that restarted empty has forgotten which sessions were revoked: PostgreSQL has not.
  dependencies.redis.onBack(() => void auth.seedRevocations().catch((err) => logger.warn({ err }, 'revocation re-seed failed')));
  await jobs.startWorkers({ handlers: createJobHandlers(domain, logger), onDead: (f) => domain.deadLetters.record(f), schedules: recurringJobs(config) });

  const graceMs = config.shutdownGraceSeconds * 1000;
  return {
    config,
    logger,
    db,
    io,
    httpServer,
    app,
    jobs,
    auth,
    domain,
    social,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          const port = (httpServer.address() as AddressInfo).port;
          logger.info({ port, mode: config.mode, db: db.driver, jobs: jobs.queue.driver }, 'pairly listening');
          resolve(port);
        });
      }),
    async shutdown() {
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info('shutting down');
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      io!.local.emit('system:shutdown', { nodeId: config.nodeId, reconnect: true });
      await router.drain(graceMs);
      // Closing the engine (not disconnecting the sockets) makes clients see "transport close" and reconnect.
      await io!.close();
      // This node's sockets are gone: tell their peers now rather than after the presence TTL.
      await social.stop().catch((err) => logger.warn({ err }, 'presence stop failed'));
      const force = setTimeout(() => httpServer.closeAllConnections(), graceMs);
      await httpClosed;
      clearTimeout(force);
      await jobs.close();
      await sfu?.close();
      await drivers.close();
      logger.info('shut down');
    },
  };
}
