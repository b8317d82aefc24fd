import type { Notify } from '../notifications/notifications.service.js';
import { mountedAt } from '../../http/route-docs.js';
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { UsersStore } from '../users/users.store.js';
import { accountsRoutes, accountsRouteDocs } from './accounts.routes.js';
import { AccountsService } from './accounts.service.js';
import { AccountsStore } from './accounts.store.js';
import { authRoutes, authRouteDocs } from './auth.routes.js';
import { AuthService, type AuthServiceDeps } from './auth.service.js';
import { AuthStore } from './auth.store.js';
import { OidcService } from './oidc.js';
import { oidcFormPostRoutes, oidcRouteDocs, oidcRoutes } from './oidc.routes.js';
import { OidcStore } from './oidc.store.js';
import { createPasswordHasher } from './passwords.js';
import type { RevocationOptions, SessionRevocations } from './revocations.js';
import { SessionEnder } from './sessions.js';
import { AccessTokens, LoginChallenges } from './tokens.js';
import { TwoFactorService } from './two-factor.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

/** Account mails (resend, reset, change of address) one address may be sent per hour, whoever asks. */
const ACCOUNT_MAILS_PER_HOUR = 5;

export function authModule(d: {
  config: Config;
  jwtSecret: string;
  db: Database;
  users: UsersStore;
  audit: AuditService;
  realtime: Realtime;
  limiter: LimiterFactory;
  mail: MailService;
  /** The deployment's revocation driver (drivers.ts). */
  revocations: (o: RevocationOptions) => SessionRevocations;
  /** Trust and safety's answer to a suspended account's sign-in (AuthServiceDeps.suspension). */
  suspension?: AuthServiceDeps['suspension'];
  /** Login risk scoring (AuthServiceDeps.risk). */
  risk?: AuthServiceDeps['risk'];
  notify: Notify;
  events?: EventRecorder;
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
  const passwords = createPasswordHasher(config.argon2MemoryKib);
  const revocations = d.revocations({
    ttlSeconds: config.accessTokenTtlSeconds,
    revokedSessions: () => store.sessionsRevokedSince(config.accessTokenTtlSeconds),
  });
  const sessionEnder = new SessionEnder({ store, revocations, realtime: d.realtime });
  const accounts = new AccountsService({
    db: d.db,
    store: new AccountsStore(d.db),
    sessionsStore: store,
    users: d.users,
    passwords,
    sessions: sessionEnder,
    mail: d.mail,
    audit: d.audit,
    mailsByEmail: limiter({ keyPrefix: 'account-mail-email', points: ACCOUNT_MAILS_PER_HOUR, durationSeconds: 3600 }),
    mailsByIp: limiter({ keyPrefix: 'account-mail-ip', points: config.signup.maxPerIp, durationSeconds: config.signup.windowSeconds }),
    ttl: config.accountLinks,
    notify: d.notify,
    events: d.events,
  });
  const service = new AuthService({
    twoFactor,
    challenges: new LoginChallenges(d.jwtSecret),
    users: d.users,
    store,
    tokens: new AccessTokens(d.jwtSecret, config.accessTokenTtlSeconds),
    passwords,
    revocations,
    sessionEnder,
    accounts,
    signupsByIp: limiter({ keyPrefix: 'signup-ip', points: config.signup.maxPerIp, durationSeconds: config.signup.windowSeconds }),
    loginFailures: {
      byEmail: limiter({ keyPrefix: 'login-email', points: config.login.maxFailuresPerEmail, durationSeconds: config.login.windowSeconds }),
      byIp: limiter({ keyPrefix: 'login-ip', points: config.login.maxFailuresPerIp, durationSeconds: config.login.windowSeconds }),
    },
    audit: d.audit,
    refreshTtlDays: config.refreshTokenTtlDays,
    suspension: d.suspension,
    risk: d.risk,
    events: d.events,
  });
  const oidc = new OidcService({
    providers: config.oidc,
    secret: d.jwtSecret,
    publicUrl: config.publicUrl,
    webUrl: config.publicWebUrl ?? config.publicUrl,
    db: d.db,
    store: new OidcStore(d.db),
    users: d.users,
    passwords,
    auth: service,
    accounts,
    audit: d.audit,
    events: d.events,
  });
  const secureCookie = new URL(config.publicUrl).protocol === 'https:';
  return {
    name: 'auth',
    service,
    twoFactor,
    routes: (guards) => Router().use('/auth', authRoutes(service, twoFactor, guards), accountsRoutes(accounts, guards), oidcRoutes(oidc, secureCookie, guards)),
    // Outside /api's JSON-only body parser: Apple's form_post answer is a form.
    publicRoutes: Router().use('/api/auth/oidc', oidcFormPostRoutes(oidc, secureCookie)),
    docs: mountedAt('/api/auth', [...authRouteDocs, ...accountsRouteDocs, ...oidcRouteDocs], 'auth'),
    start: async () => void (await service.seedRevocations()),
  } satisfies ModuleWithServices;
}
