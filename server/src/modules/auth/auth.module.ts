import { mountedAt } from '../../http/route-docs.js';
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersStore } from '../users/users.store.js';
import { authRoutes, authRouteDocs } from './auth.routes.js';
import { AuthService, type AuthServiceDeps } from './auth.service.js';
import { AuthStore } from './auth.store.js';
import { createPasswordHasher } from './passwords.js';
import type { RevocationOptions, SessionRevocations } from './revocations.js';
import { AccessTokens, LoginChallenges } from './tokens.js';
import { TwoFactorService } from './two-factor.js';

export function authModule(d: {
  config: Config;
  jwtSecret: string;
  db: Database;
  users: UsersStore;
  audit: AuditService;
  realtime: Realtime;
  limiter: LimiterFactory;
  /** The deployment's revocation driver (drivers.ts). */
  revocations: (o: RevocationOptions) => SessionRevocations;
  /** Trust and safety's answer to a suspended account's sign-in (AuthServiceDeps.suspension). */
  suspension?: AuthServiceDeps['suspension'];
}) {
  const { config, limiter } = d;
  const store = new AuthStore(d.db);
  const twoFactor = new TwoFactorService({
    db: d.db,
    secret: d.jwtSecret,
    issuer: 'Pairly',
    failures: limiter({ keyPrefix: '2fa-user', points: config.twoFactor.maxFailures, durationSeconds: config.twoFactor.windowSeconds }),
    audit: d.audit,
  });
  const service = new AuthService({
    twoFactor,
    challenges: new LoginChallenges(d.jwtSecret),
    users: d.users,
    store,
    tokens: new AccessTokens(d.jwtSecret, config.accessTokenTtlSeconds),
    passwords: createPasswordHasher(config.argon2MemoryKib),
    revocations: d.revocations({
      ttlSeconds: config.accessTokenTtlSeconds,
      revokedSessions: () => store.sessionsRevokedSince(config.accessTokenTtlSeconds),
    }),
    signupsByIp: limiter({ keyPrefix: 'signup-ip', points: config.signup.maxPerIp, durationSeconds: config.signup.windowSeconds }),
    loginFailures: {
      byEmail: limiter({ keyPrefix: 'login-email', points: config.login.maxFailuresPerEmail, durationSeconds: config.login.windowSeconds }),
      byIp: limiter({ keyPrefix: 'login-ip', points: config.login.maxFailuresPerIp, durationSeconds: config.login.windowSeconds }),
    },
    audit: d.audit,
    realtime: d.realtime,
    refreshTtlDays: config.refreshTokenTtlDays,
    suspension: d.suspension,
  });
  return {
    name: 'auth',
    service,
    twoFactor,
    routes: (guards) => Router().use('/auth', authRoutes(service, twoFactor, guards)),
    docs: mountedAt('/api/auth', authRouteDocs, 'auth'),
    start: async () => void (await service.seedRevocations()),
  } satisfies ModuleWithServices;
}
