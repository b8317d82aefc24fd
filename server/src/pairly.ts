import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Express } from 'express';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createHttpApp } from './http/app.js';
import { healthRoutes, type ReadinessCheck } from './http/health.routes.js';
import { openDatabase, openJobs, openRedis, openSfu, type Jobs } from './infra.js';
import { DependencyState } from './dependency-state.js';
import { closeRedis, whenReady } from './redis.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { limiterFactory, localLimiter } from './ratelimit.js';
import { EventRouter } from './realtime/event-router.js';
import { createIo, realtimeOf, type PairlyServer } from './realtime/io.js';
import { OutboundGuard } from './realtime/outbound-guard.js';
import { createMemorySocketQuota, createRedisSocketQuota } from './realtime/socket-quota.js';
import { memoryCheck } from './http/memory-check.js';
import { embeddedJwtSecret } from './secrets.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { AuthService } from './modules/auth/auth.service.js';
import { AuthStore } from './modules/auth/auth.store.js';
import { createPasswordHasher } from './modules/auth/passwords.js';
import { createMemoryRevocations, createRedisRevocations } from './modules/auth/revocations.js';
import { AccessTokens } from './modules/auth/tokens.js';
import { meRoutes } from './modules/users/users.routes.js';
import { UsersService } from './modules/users/users.service.js';
import { walletRoutes } from './modules/ledger/ledger.routes.js';
import { paymentsRoutes, webhookRoutes } from './modules/payments/payments.routes.js';
import { adminMoneyRoutes } from './modules/admin/admin.routes.js';
import { adminControlRoutes } from './modules/admin/admin.control.routes.js';
import { createAdmin } from './modules/admin/admin.create.js';
import { deadLetterRoutes } from './modules/dead-letters/dead-letters.routes.js';
import { createDomain, type Domain } from './domain.js';
import { createSocial } from './social.js';
import type { SfuController } from '../../shared/sfu.js';
import { createMemoryPresence, createRedisPresence } from './modules/presence/presence.store.js';
import { systemEvents } from './modules/system/system.socket.js';
import { ReconciliationService } from './modules/payments/reconciliation.service.js';
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

  // Each outage of a dependency is logged once when it starts and once when it ends.
  const dependencies = { database: new DependencyState('database', logger), redis: new DependencyState('redis', logger) };
  const db = await openDatabase(config, logger, dependencies.database);
  const redisOpts = { state: dependencies.redis };
  const redis = openRedis(config, logger, 'cmd', { ...redisOpts, mode: 'failFast' });
  const redisPubSub = redis && {
    pub: openRedis(config, logger, 'pub', { ...redisOpts, mode: 'failFast' })!,
    sub: openRedis(config, logger, 'sub', { ...redisOpts, mode: 'untilBack' })!,
  };
  // Fail-fast clients refuse commands until connected: start-up waits for them (and fails if Redis is absent).
  if (redis && redisPubSub) await Promise.all([whenReady(redis), whenReady(redisPubSub.pub)]);
  const jobs = openJobs({ config, logger, redis });
  const metrics = createMetrics(config.nodeId, { breakers: () => breakerStates() });
  const limiter = limiterFactory(redis, config.redisPrefix);

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

  const presenceStore = redis ? createRedisPresence(redis, config.redisPrefix, config.nodeId) : createMemoryPresence(config.nodeId);
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
    revocations: redis
      ? createRedisRevocations(redis, config.redisPrefix, { ...revocationOptions, onError: (err) => logger.error({ err }, 'revocations reload failed') })
      : createMemoryRevocations(revocationOptions),
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
  const social = createSocial({ config, jwtSecret, db, redis, logger, metrics, limiter, realtime, domain, auth, presenceStore, sfu });
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
          payments,
          reconciliation: new ReconciliationService(domain.reconciliationStore),
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
  const quotaOptions = { max: config.socketsPerUserMax, ttlMs: config.chat.presenceTtlSeconds * 1000 };
  io = createIo({
    httpServer,
    config,
    logger,
    metrics,
    auth,
    router,
    redis: redisPubSub,
    lifecycle,
    outbound: new OutboundGuard({
      maxBytes: config.socketMaxBufferedBytes,
      logger,
      onCutOff: () => metrics.socketsCutOff.inc({ reason: 'outbound_buffer' }),
    }),
    // Places lapse on the presence TTL: a dead node's sockets stop counting when they go offline.
    quota: {
      ...quotaOptions,
      store: redis ? createRedisSocketQuota(redis, config.redisPrefix, quotaOptions) : createMemorySocketQuota(quotaOptions),
    },
  });
  await social.start(io);
  // Presence writes made while Redis was away were skipped, and a restarted Redis has none: put this node's sockets back.
  dependencies.redis.onBack(() => void social.presence.rebuild('reconnected').catch((err) => logger.warn({ err }, 'presence rebuild failed')));
  // A Redis that restarted empty has forgotten which sessions were revoked: PostgreSQL has not.
  dependencies.redis.onBack(() => void auth.seedRevocations().catch((err) => logger.warn({ err }, 'revocation re-seed failed')));
  await jobs.startWorkers(domain);

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
      // The sharded adapter's close() does not return ioredis' SUNSUBSCRIBE promises; a PING queued
      // behind them resolves once they are answered, so quitting afterwards rejects nothing.
      if (redisPubSub?.sub.status === 'ready') await redisPubSub.sub.ping().catch(() => undefined);
      // This node's sockets are gone: tell their peers now rather than after the presence TTL.
      await social.stop().catch((err) => logger.warn({ err }, 'presence stop failed'));
      const force = setTimeout(() => httpServer.closeAllConnections(), graceMs);
      await httpClosed;
      clearTimeout(force);
      await jobs.close();
      await Promise.all([redis, redisPubSub?.pub, redisPubSub?.sub].map((c: Redis | undefined) => c && closeRedis(c)));
      await sfu?.close();
      await db.close();
      logger.info('shut down');
    },
  };
}
