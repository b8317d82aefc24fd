import { randomBytes } from 'node:crypto';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { z } from 'zod';
import type { AuthResult, LoginBody, loginTwoFactorBody, MailSentResult, SessionView, SignupBody, twoFactorDisableBody } from '../../../../shared/auth.js';
import type { StandingChange } from '../../../../shared/reports.js';
import { AppError } from '../../errors.js';
import { rateLimited } from '../../ratelimit.js';
import type { AuditService } from '../audit/audit.service.js';
import { toPublicUser, type UserRow, type UsersStore } from '../users/users.store.js';
import type { AuthStore } from './auth.store.js';
import { assertStrongPassword, type PasswordHasher } from './passwords.js';
import type { AccountsService } from './accounts.service.js';
import { deviceOf, placeOf } from './devices.js';
import type { SessionRevocations } from './revocations.js';
import type { RevokeReason, SessionEnder } from './sessions.js';
import { hashRefreshToken, newRefreshToken, type AccessTokens, type LoginChallenges, type Principal } from './tokens.js';
import type { TwoFactorService } from './two-factor.js';

import type { ClientInfo } from '../../principal.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';
export type { ClientInfo };

export interface AuthServiceDeps {
  users: UsersStore;
  store: AuthStore;
  tokens: AccessTokens;
  passwords: PasswordHasher;
  revocations: SessionRevocations;
  /** Sign-ups per client address, taken before any other check so that a flood never reaches argon2. */
  signupsByIp: RateLimiterAbstract;
  /** Login attempts, per email and per IP: a point is taken before the password is judged, given back when it is right. */
  loginFailures: { byEmail: RateLimiterAbstract; byIp: RateLimiterAbstract };
  audit: AuditService;
  sessionEnder: SessionEnder;
  /** Sign-up's mails and the new-device notice. */
  accounts: Pick<AccountsService, 'afterSignup' | 'noticeLogin'>;
  refreshTtlDays: number;
  /** Two-factor sign-in: a login of a user who has it on stops at TWO_FACTOR_REQUIRED with a challenge for loginTwoFactor. */
  twoFactor: TwoFactorService;
  challenges: LoginChallenges;
  /**
   * Why a suspended account may not sign in (ACCOUNT_SUSPENDED with its end and an appeal token), or undefined
   * when its suspension is over (lifted there). Trust and safety's rule, bound late; without it every
   * suspended account is refused.
   */
  suspension?: (row: UserRow) => Promise<AppError | undefined>;
  /** Login risk scoring (modules/risk): may refuse a sign-in (LOGIN_HELD) or ask for its mailed confirmation first. */
  risk?: LoginRisk;
  now?: () => Date;
  /** Product analytics events, recorded after the commit (the analytics module's buffer). */
  events?: EventRecorder;
}

/** What sign-in tells risk scoring, and asks of it. */
export interface LoginRisk {
  /** Before a session opens; throws LOGIN_HELD or LOGIN_CONFIRMATION_REQUIRED (an account with two-factor sign-in goes on to it instead). */
  assessLogin(user: { id: string; email: string }, client: ClientInfo, o: { twoFactor: boolean }): Promise<void>;
  passedSecondFactor(userId: string): Promise<void>;
  /** Off the request's path: never throws. */
  loginFailed(userId: string, client: ClientInfo): void;
}

export const MINIMUM_AGE = 18;
/** Sessions listed at most: enough for every device a person uses; a script logging in in a loop does not make the page huge. */
const MAX_LISTED_SESSIONS = 50;

export function ageOn(birthdate: string, today: Date): number {
  const [y, m, d] = birthdate.split('-').map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - y;
  const beforeBirthday = today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
  if (beforeBirthday) age--;
  return age;
}

/** Refuses an implausible birthdate and anyone under MINIMUM_AGE (every way of making an account goes through it). */
export function assertAdult(birthdate: string, today: Date): void {
  const age = ageOn(birthdate, today);
  if (age < 0 || age > 120) throw new AppError('VALIDATION_FAILED', 'birthdate is not plausible');
  if (age < MINIMUM_AGE) throw new AppError('AGE_RESTRICTED', `Pairly is for people aged ${MINIMUM_AGE} and over`);
}

export class AuthService {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly d: AuthServiceDeps) {}

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  /**
   * The same status and body for a new address and a registered one, after
   * the same work (argon2 included): a sign-up never tells whether an account
   * exists. The new account gets a verification link, the registered
   * address a warning; the client then logs in as usual.
   */
  async signup(body: SignupBody, client: ClientInfo): Promise<MailSentResult> {
    // First, before the cheap checks too: a refused address learns nothing.
    await this.d.signupsByIp.consume(client.ip ?? 'unknown').catch((err: unknown) => {
      throw rateLimited(err, 'too many sign-ups from this address; try again later');
    });
    assertAdult(body.birthdate, this.now());
    assertStrongPassword(body.password, body.email);

    const row = await this.d.users.insert({
      email: body.email,
      passwordHash: await this.d.passwords.hash(body.password),
      displayName: body.displayName,
      birthdate: body.birthdate,
      role: body.role,
    });
    await this.d.accounts.afterSignup(row, body.email);
    if (row) this.d.audit.record({ key: `signup:${row.id}`, actorId: row.id, action: 'auth.signup', ip: client.ip });
    if (row) this.d.events?.record('signup', row.id);
    return { accepted: true };
  }

  async login(body: LoginBody, client: ClientInfo): Promise<AuthResult> {
    const ipKey = client.ip ?? 'unknown';
    const taken = await this.takeLoginAttempt(body.email, ipKey);

    const row = await this.d.users.findByEmail(body.email);
    // Verify against a dummy hash for unknown emails so timing does not reveal which emails exist.
    const ok = await this.d.passwords.verify(row?.password_hash ?? (await this.getDummyHash()), body.password);
    if (!row || !ok) {
      // The points taken above stay taken: this attempt was a failure.
      this.d.audit.record({
        key: `login_failed:${randomBytes(12).toString('hex')}`,
        actorId: row?.id ?? null,
        action: 'auth.login_failed',
        ip: client.ip,
      });
      // Not awaited: a known address must cost no more time than an unknown one.
      if (row) this.d.risk?.loginFailed(row.id, client);
      throw new AppError('INVALID_CREDENTIALS', 'email or password is wrong');
    }
    // The right password is no failure: give the IP its point back and clear the email's run of failures.
    await taken.giveBack();
    return this.signIn(row, client);
  }

  /**
   * Signs in a user whose first factor was proved (a password, or an OpenID
   * provider: `meta` says which): suspended accounts are refused, and one with
   * two-factor sign-in stops at TWO_FACTOR_REQUIRED with a challenge.
   */
  async signIn(row: UserRow, client: ClientInfo, meta?: Record<string, unknown>): Promise<AuthResult> {
    await this.refuseSuspended(row);
    const twoFactor = await this.d.twoFactor.isEnabled(row.id);
    await this.d.risk?.assessLogin(row, client, { twoFactor });
    if (twoFactor) {
      throw new AppError('TWO_FACTOR_REQUIRED', 'enter the code from your authenticator app', { details: { challenge: this.d.challenges.issue(row.id) } });
    }
    const { result, sessionId } = await this.openSession(row, client);
    await this.d.accounts.noticeLogin(row, sessionId, client);
    this.d.audit.record({ key: `login:${sessionId}`, actorId: row.id, action: 'auth.login', ip: client.ip, meta });
    this.d.events?.record('login', row.id);
    return result;
  }

  /** A login's second step: the challenge from TWO_FACTOR_REQUIRED (five minutes) and a code or a recovery code. */
  async loginTwoFactor(body: z.output<typeof loginTwoFactorBody>, client: ClientInfo): Promise<AuthResult> {
    const userId = this.d.challenges.verify(body.challenge);
    const row = await this.d.users.findById(userId);
    if (!row) throw new AppError('INVALID_TOKEN', 'the sign-in challenge is not valid');
    await this.refuseSuspended(row);
    try {
      await this.d.twoFactor.verify(userId, body.code !== undefined ? { code: body.code } : { recoveryCode: body.recoveryCode! });
    } catch (err) {
      if (err instanceof AppError && err.code === 'TWO_FACTOR_INVALID') {
        this.d.audit.record({ key: `2fa_failed:${randomBytes(12).toString('hex')}`, actorId: userId, action: 'auth.2fa_failed', ip: client.ip });
      }
      throw err;
    }
    await this.d.risk?.passedSecondFactor(row.id);
    const { result, sessionId } = await this.openSession(row, client);
    await this.d.twoFactor.markSession(sessionId, row.id);
    await this.d.accounts.noticeLogin(row, sessionId, client);
    this.d.audit.record({ key: `login:${sessionId}`, actorId: row.id, action: 'auth.login', ip: client.ip, meta: { twoFactor: body.code !== undefined ? 'code' : 'recovery_code' } });
    this.d.events?.record('login', row.id);
    return result;
  }

  /** Turns two-factor sign-in off: the password and a second factor (both counted as guesses when wrong). */
  async disableTwoFactor(p: Principal, body: z.output<typeof twoFactorDisableBody>): Promise<void> {
    const row = await this.d.users.findById(p.userId);
    if (!row) throw new AppError('NOT_FOUND', 'no such user');
    if (!(await this.d.passwords.verify(row.password_hash, body.password))) throw new AppError('INVALID_CREDENTIALS', 'the password is wrong');
    await this.d.twoFactor.disable(p.userId, body.code !== undefined ? { code: body.code } : { recoveryCode: body.recoveryCode! });
  }

  /** Begins an enrolment: the app is labelled with the account's email. */
  async setupTwoFactor(p: Principal) {
    const row = await this.d.users.findById(p.userId);
    if (!row) throw new AppError('NOT_FOUND', 'no such user');
    return this.d.twoFactor.setup(p.userId, row.email);
  }

  /**
   * Takes one point per email and per IP before the password is judged, so
   * that parallel attempts cannot all pass a check made before any of them
   * is counted: the (N+1)th concurrent attempt is refused, whatever the
   * others' outcome. A refused attempt gives back what it did take.
   */
  private async takeLoginAttempt(email: string, ipKey: string): Promise<{ giveBack(): Promise<void> }> {
    const { byEmail, byIp } = this.d.loginFailures;
    const [emailRes, ipRes] = await Promise.allSettled([byEmail.consume(email), byIp.consume(ipKey)]);
    const refused = [emailRes, ipRes].find((r) => r.status === 'rejected');
    if (refused) {
      await Promise.all([
        emailRes.status === 'fulfilled' ? byEmail.reward(email, 1) : undefined,
        ipRes.status === 'fulfilled' ? byIp.reward(ipKey, 1) : undefined,
      ]);
      throw rateLimited(refused.reason, 'too many failed logins; try again later');
    }
    return {
      giveBack: async () => {
        await Promise.all([byEmail.delete(email), byIp.reward(ipKey, 1)]);
      },
    };
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<AuthResult> {
    const oldHash = hashRefreshToken(refreshToken);
    const next = newRefreshToken();
    const rotated = await this.d.store.rotateRefreshToken(oldHash, next.hash, this.d.refreshTtlDays);
    if (!rotated) throw await this.refreshFailure(oldHash, client);

    const row = await this.d.users.findById(rotated.user_id);
    if (!row) throw new AppError('INVALID_TOKEN', 'the refresh token is not valid');
    await this.refuseSuspended(row);
    return {
      user: toPublicUser(row),
      accessToken: this.d.tokens.issue({ userId: row.id, sessionId: rotated.session_id, role: row.role }),
      refreshToken: next.token,
      expiresIn: this.d.tokens.ttlSeconds,
    };
  }

  async logout(principal: Principal, client: ClientInfo): Promise<void> {
    await this.revokeSession(principal.sessionId, 'logout');
    this.d.audit.record({
      key: `logout:${principal.sessionId}`,
      actorId: principal.userId,
      action: 'auth.logout',
      ip: client.ip,
    });
  }

  /** The caller's own live sessions (devices logged in), the caller's marked `current`. */
  async sessions(principal: Principal): Promise<SessionView[]> {
    return (await this.sessionsOf(principal.userId)).map((s) => ({ ...s, current: s.id === principal.sessionId }));
  }

  /**
   * Logs out one of the caller's own sessions (another device, or this one),
   * through the same path as logout: tokens refused everywhere, sockets closed.
   * Another user's session is NOT_FOUND, as is one that never existed.
   */
  async revokeOwnSession(principal: Principal, sessionId: string, client: ClientInfo): Promise<void> {
    if ((await this.d.store.sessionOwner(sessionId)) !== principal.userId) throw new AppError('NOT_FOUND', 'no such session');
    await this.revokeSession(sessionId, 'logout');
    this.d.audit.record({
      key: `session_revoked:${sessionId}`,
      actorId: principal.userId,
      action: 'auth.session_revoked',
      ip: client.ip,
      meta: { sessionId, own: sessionId === principal.sessionId },
    });
  }

  /** "Log out everywhere else": every session of the caller but the one asking; returns how many ended. */
  async revokeOtherSessions(principal: Principal, client: ClientInfo): Promise<{ revoked: number }> {
    const revoked = await this.d.sessionEnder.endAllOf(principal.userId, 'logout_others', { keep: principal.sessionId });
    this.d.audit.record({
      key: `sessions_revoked:${principal.sessionId}:${randomBytes(6).toString('hex')}`,
      actorId: principal.userId,
      action: 'auth.session_revoked',
      ip: client.ip,
      meta: { others: revoked },
    });
    return { revoked };
  }

  /**
   * The owner closing their account proves it is them: the password and, when two-factor sign-in is on,
   * a second factor (each counted as a guess when wrong); then every session ends, sockets closed on every node.
   * `close` marks the account gone in between, so no refresh can open a session after the check.
   */
  async closeAccount(userId: string, proof: { password: string; code?: string; recoveryCode?: string }, close: () => Promise<void>): Promise<void> {
    const row = await this.d.users.findById(userId);
    if (!row || row.status === 'deleted') throw new AppError('NOT_FOUND', 'no such user');
    if (!(await this.d.passwords.verify(row.password_hash, proof.password))) throw new AppError('INVALID_CREDENTIALS', 'the password is wrong');
    if (await this.d.twoFactor.isEnabled(userId)) {
      if (proof.code === undefined && proof.recoveryCode === undefined) throw new AppError('TWO_FACTOR_REQUIRED', 'enter the code from your authenticator app');
      await this.d.twoFactor.verify(userId, proof.code !== undefined ? { code: proof.code } : { recoveryCode: proof.recoveryCode! });
    }
    await close();
    await this.d.sessionEnder.endAllOf(userId, 'account_deleted');
  }

  /** An erased account's second factor goes with it. */
  forgetSecondFactor(userId: string): Promise<void> {
    return this.d.twoFactor.forget(userId);
  }

  /** An admin's suspension or ban: every live session of the user ends, their sockets told why and closed on every node. */
  async revokeUserSessions(userId: string, standing?: StandingChange): Promise<number> {
    return this.d.sessionEnder.endAllOf(userId, 'admin', { standing });
  }

  /** A user's live sessions, for an admin's view of them. */
  async sessionsOf(userId: string): Promise<Omit<SessionView, 'current'>[]> {
    const rows = await this.d.store.liveSessionsOf(userId, MAX_LISTED_SESSIONS);
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.created_at.toISOString(),
      lastUsedAt: s.last_used_at.toISOString(),
      userAgent: s.user_agent,
      device: deviceOf(s.user_agent),
      place: placeOf(s.ip),
    }));
  }

  /** Checks a bearer token: signature, claims, expiry, and that its session was not revoked. */
  async authenticate(token: unknown): Promise<Principal> {
    const principal = this.d.tokens.verify(token);
    if (await this.d.revocations.isRevoked(principal.sessionId)) {
      throw new AppError('SESSION_REVOKED', 'this session has been logged out');
    }
    return principal;
  }

  /** Refuses a session that has not proved a second factor (within `maxAgeSeconds`): see TwoFactorService.requireForSession. */
  requireSecondFactor(p: Pick<Principal, 'userId' | 'sessionId'>, maxAgeSeconds?: number): Promise<void> {
    return this.d.twoFactor.requireForSession(p, maxAgeSeconds);
  }

  /** Loads the revocation cache from PostgreSQL (at start-up; the Redis driver also reloads by itself after a loss). */
  seedRevocations(): Promise<number> {
    return this.d.revocations.seed();
  }

  private revokeSession(sessionId: string, reason: RevokeReason): Promise<void> {
    return this.d.sessionEnder.end(sessionId, reason);
  }

  private async refuseSuspended(row: UserRow): Promise<void> {
    if (row.status !== 'suspended') return;
    const refusal = this.d.suspension ? await this.d.suspension(row) : new AppError('ACCOUNT_SUSPENDED', 'this account is suspended');
    if (refusal) throw refusal;
  }

  private async refreshFailure(hash: string, client: ClientInfo): Promise<AppError> {
    const state = await this.d.store.inspectRefreshToken(hash);
    if (!state) return new AppError('INVALID_TOKEN', 'the refresh token is not valid');
    if (state.revoked) return new AppError('SESSION_REVOKED', 'this session has been logged out');
    if (state.used) {
      // A used token presented again means it was stolen (or the client is broken): end the whole family.
      await this.revokeSession(state.session_id, 'token_reused');
      this.d.audit.record({
        key: `token_reused:${state.session_id}`,
        actorId: null,
        action: 'auth.token_reused',
        ip: client.ip,
        meta: { sessionId: state.session_id },
      });
      return new AppError('TOKEN_REUSED', 'this refresh token was already used; the session is revoked');
    }
    return new AppError('TOKEN_EXPIRED', 'the refresh token has expired');
  }

  private async openSession(row: UserRow, client: ClientInfo): Promise<{ result: AuthResult; sessionId: string }> {
    const refresh = newRefreshToken();
    const sessionId = await this.d.store.createSession({
      userId: row.id,
      refreshHash: refresh.hash,
      refreshTtlDays: this.d.refreshTtlDays,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    const result = {
      user: toPublicUser(row),
      accessToken: this.d.tokens.issue({ userId: row.id, sessionId, role: row.role }),
      refreshToken: refresh.token,
      expiresIn: this.d.tokens.ttlSeconds,
    };
    return { result, sessionId };
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.d.passwords.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}
