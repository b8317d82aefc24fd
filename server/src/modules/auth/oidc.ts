import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import type { AuthResult, LinkedIdentities, OidcSignupBody } from '../../../../shared/auth.js';
import type { Database } from '../../db/database.js';
import type { ErrorCode } from '../../../../shared/errors.js';
import type { OidcProviderConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { ClientInfo } from '../../principal.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersStore } from '../users/users.store.js';
import type { AccountsService } from './accounts.service.js';
import { assertAdult, type AuthService } from './auth.service.js';
import type { OidcStore, OidcTicketRow, TicketPurpose } from './oidc.store.js';
import type { PasswordHasher } from './passwords.js';
import { hashRefreshToken as hashSecret, newRefreshToken as newSecret } from './tokens.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

export type OidcProviderName = OidcProviderConfig['name'];

const LABEL: Record<OidcProviderName, string> = { google: 'Google', apple: 'Apple' };
/**
 * Apple answers with response_mode=form_post (a cross-site POST to the callback, as Apple requires once the
 * email scope is asked for); Google with a redirect carrying the query.
 */
export const FORM_POST: ReadonlySet<OidcProviderName> = new Set(['apple']);
/** The browser's round trip through the provider: its login page included. */
const FLOW_TTL_SECONDS = 600;
/** A login ticket only crosses from the callback to the web app; a sign-up waits for a form; a mailed link for a mailbox. */
const TICKET_TTL_SECONDS: Record<TicketPurpose, number> = { login: 120, signup: 1800, link: 3600 };
export const FLOW_COOKIE = 'pairly_oidc';
export const FLOW_COOKIE_PATH = '/api/auth/oidc';

const TICKET_REFUSAL: Record<'unknown' | 'used' | 'expired', [ErrorCode, string]> = {
  unknown: ['LINK_INVALID', 'this sign-in ticket is not valid'],
  used: ['LINK_USED', 'this sign-in ticket was used already'],
  expired: ['LINK_EXPIRED', 'this sign-in ticket has expired; sign in again'],
};

/** What only this browser may know between start and callback: kept in a signed, HttpOnly cookie, never sent to the provider. */
interface Flow {
  provider: OidcProviderName;
  state: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
}

export interface OidcDeps {
  db: Database;
  providers: OidcProviderConfig[];
  /** Signs the flow cookie (derived from the JWT secret). */
  secret: string;
  /** Where the provider sends the browser back: `<publicUrl>/api/auth/oidc/<provider>/callback`. */
  publicUrl: string;
  /** Where the callback sends the browser on: `<webUrl>/oidc/callback#…`. */
  webUrl: string;
  store: OidcStore;
  users: UsersStore;
  passwords: PasswordHasher;
  auth: Pick<AuthService, 'signIn'>;
  accounts: Pick<AccountsService, 'mailIdentityLink'>;
  audit: AuditService;
  now?: () => Date;
  /** Product analytics events, recorded after the commit (the analytics module's buffer). */
  events?: EventRecorder;
}

/**
 * Sign in with Google or Apple (OpenID Connect, authorization code with PKCE,
 * state and nonce). A (provider, subject) already linked signs in, through
 * the password login's own path (suspension, two-factor). An unknown one
 * with a verified address no account has may make an account (the web app
 * asks birthdate, name and role). An address some account has already is
 * linked only once that mailbox opens a mailed link: a provider's word about
 * an address is not enough to enter someone's account.
 */
export class OidcService {
  private readonly configs = new Map<OidcProviderName, Promise<oidc.Configuration>>();
  private readonly key: Buffer;

  constructor(private readonly d: OidcDeps) {
    this.key = createHmac('sha256', d.secret).update('pairly-oidc-flow').digest();
  }

  offered(): { name: OidcProviderName; label: string }[] {
    return this.d.providers.map((p) => ({ name: p.name, label: LABEL[p.name] }));
  }

  /** The provider's authorization URL and the flow cookie that must come back with its callback. */
  async start(provider: OidcProviderName): Promise<{ url: string; cookie: string }> {
    const config = await this.configOf(provider);
    const flow: Flow = {
      provider,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      expiresAt: this.now() + FLOW_TTL_SECONDS * 1000,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(provider),
      scope: 'openid email',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      ...(FORM_POST.has(provider) ? { response_mode: 'form_post' } : {}),
    });
    return { url: url.href, cookie: this.seal(flow) };
  }

  /**
   * The provider's answer: where to send the browser in the web app. Every
   * outcome, a refusal included, is a fragment there (#login=, #signup=,
   * #linkMailed=, #error=): the browser came by navigation, not by fetch. `query` is the provider's answer as a
   * query string: the callback's own, or a form_post's fields (a provider answering the other way than it was
   * asked is OIDC_STATE_INVALID: the answer did not come the way this flow asked for it).
   */
  async callback(provider: OidcProviderName, query: string, cookie: string | undefined, client: ClientInfo, via: 'query' | 'form_post' = 'query'): Promise<string> {
    try {
      if ((via === 'form_post') !== FORM_POST.has(provider)) throw new AppError('OIDC_STATE_INVALID', `${LABEL[provider]} does not answer this way; start again`);
      return this.toWeb(await this.conclude(provider, query, cookie, client));
    } catch (err) {
      if (err instanceof AppError) return this.toWeb({ error: err.code });
      throw err;
    }
  }

  /** The callback's login ticket for a session (or TWO_FACTOR_REQUIRED, as a password login). */
  async exchange(ticket: string, client: ClientInfo): Promise<AuthResult> {
    const t = await this.take(ticket, 'login');
    const row = await this.d.users.findById(t.user_id!);
    if (!row) throw new AppError('LINK_INVALID', 'this sign-in ticket is not valid');
    return this.d.auth.signIn(row, client, { oidc: t.provider });
  }

  /** Makes the account the provider's verified address asked for; the address counts as verified. */
  async signup(body: OidcSignupBody, client: ClientInfo): Promise<AuthResult> {
    // Before the ticket is spent: a mistyped birthdate does not cost the sign-up.
    assertAdult(body.birthdate, new Date(this.now()));
    const t = await this.take(body.ticket, 'signup');
    const row = await this.d.users.insert({
      email: t.email!,
      // No password: one can be set later through "forgot password", which the verified address receives.
      passwordHash: await this.d.passwords.hash(randomBytes(32).toString('base64url')),
      displayName: body.displayName,
      birthdate: body.birthdate,
      role: body.role,
      passwordSet: false,
    });
    if (!row) throw new AppError('EMAIL_TAKEN', 'an account took this address meanwhile; sign in with it and link the provider');
    await this.d.users.markEmailVerified(row.id, t.email!);
    await this.d.store.link({ provider: t.provider, subject: t.subject, userId: row.id, email: t.email });
    this.d.audit.record({ key: `signup:${row.id}`, actorId: row.id, action: 'auth.signup', ip: client.ip, meta: { oidc: t.provider } });
    this.d.events?.record('signup', row.id, { oidc: t.provider });
    return this.d.auth.signIn({ ...row, email_verified_at: new Date(this.now()) }, client, { oidc: t.provider });
  }

  /** The mailed link's token: the mailbox is proved, the identity joins the account (which then signs in with it). */
  async confirmLink(token: string, client: ClientInfo): Promise<{ linked: true; provider: OidcProviderName }> {
    const t = await this.take(token, 'link');
    const row = await this.d.users.findById(t.user_id!);
    // A link mailed before a change of address proves nothing about the account's address now.
    if (!row || row.email !== t.email) throw new AppError('LINK_INVALID', 'this link is for an address the account no longer uses');
    const owner = await this.d.store.userOf(t.provider, t.subject);
    if (owner && owner !== row.id) throw new AppError('LINK_INVALID', `this ${LABEL[t.provider]} account is linked to another Pairly account`);
    await this.d.store.link({ provider: t.provider, subject: t.subject, userId: row.id, email: t.email });
    await this.d.users.markEmailVerified(row.id, row.email);
    this.d.audit.record({ key: `identity_linked:${hashSecret(token)}`, actorId: row.id, action: 'auth.identity_linked', ip: client.ip, meta: { provider: t.provider } });
    return { linked: true, provider: t.provider };
  }

  /** The caller's linked sign-ins, and whether a password is another way in. */
  async identities(userId: string): Promise<LinkedIdentities> {
    const [rows, hasPassword] = await Promise.all([this.d.store.identitiesOf(userId), this.d.users.hasPassword(userId)]);
    return { identities: rows.map((r) => ({ provider: r.provider, email: r.email, linkedAt: r.created_at.toISOString() })), hasPassword };
  }

  /**
   * Unlinks a provider from the caller's account, unless it is the only way in (no password, no other
   * identity): LAST_SIGN_IN_METHOD, until "forgot password" sets one. The identities are locked while
   * counted, so two unlinks at once cannot leave the account with none.
   */
  async unlink(userId: string, provider: OidcProviderName, ip: string | null): Promise<LinkedIdentities> {
    await this.d.db.transaction(async (tx) => {
      const linked = await this.d.store.identitiesOf(userId, tx, true);
      if (!linked.some((i) => i.provider === provider)) throw new AppError('NOT_FOUND', `${LABEL[provider]} is not linked to this account`);
      if (linked.length === 1 && !(await this.d.users.hasPassword(userId, tx))) {
        throw new AppError('LAST_SIGN_IN_METHOD', `${LABEL[provider]} is the only way into this account: set a password ("forgot password") before unlinking it`);
      }
      await this.d.store.unlink(userId, provider, tx);
    });
    this.d.audit.record({ key: `identity_unlinked:${userId}:${provider}:${Date.now()}`, actorId: userId, action: 'auth.identity_unlinked', ip, meta: { provider } });
    return this.identities(userId);
  }

  private async conclude(provider: OidcProviderName, query: string, cookie: string | undefined, client: ClientInfo): Promise<Record<string, string>> {
    const flow = this.open(cookie);
    if (!flow || flow.provider !== provider || new URLSearchParams(query).get('state') !== flow.state) {
      throw new AppError('OIDC_STATE_INVALID', 'this sign-in did not start here, or took too long; start again');
    }
    const claims = await this.grant(provider, query, flow);
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : null;
    const linked = await this.d.store.userOf(provider, claims.sub);
    if (linked) return { login: await this.ticket('login', { provider, subject: claims.sub, email, userId: linked }) };
    const existing = email ? await this.d.users.findByEmail(email) : undefined;
    if (existing) {
      const token = await this.ticket('link', { provider, subject: claims.sub, email: existing.email, userId: existing.id });
      await this.d.accounts.mailIdentityLink(existing, LABEL[provider], token, TICKET_TTL_SECONDS.link, client);
      return { linkMailed: existing.email };
    }
    // Apple sends the flag as a string.
    const verified = claims.email_verified === true || claims.email_verified === 'true';
    if (!email || !verified) throw new AppError('OIDC_EMAIL_UNVERIFIED', `${LABEL[provider]} did not vouch for an email address; sign up with your email instead`);
    return { signup: await this.ticket('signup', { provider, subject: claims.sub, email, userId: null }), email };
  }

  /** Exchanges the code (PKCE verifier, state) and validates the ID token (signature, audience, nonce). */
  private async grant(provider: OidcProviderName, query: string, flow: Flow): Promise<oidc.IDToken> {
    const config = await this.configOf(provider);
    const current = new URL(this.redirectUri(provider));
    current.search = query;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      return tokens.claims()!;
    } catch (err) {
      throw providerFailure(err);
    }
  }

  /** The provider's metadata, discovered once; a failed discovery is forgotten so that the next sign-in tries again. */
  private configOf(provider: OidcProviderName): Promise<oidc.Configuration> {
    const p = this.d.providers.find((c) => c.name === provider);
    if (!p) return Promise.reject(new AppError('OIDC_PROVIDER_UNKNOWN', `sign-in with ${LABEL[provider] ?? provider} is not offered here`));
    let config = this.configs.get(provider);
    if (!config) {
      // Plain http only for a local provider (a stand-in); real ones are https.
      const options = new URL(p.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
      config = oidc.discovery(new URL(p.issuer), p.clientId, p.clientSecret, undefined, options).catch((err: unknown) => {
        this.configs.delete(provider);
        throw new AppError('OIDC_PROVIDER_UNAVAILABLE', `${LABEL[provider]} cannot be reached; try again later`);
      });
      this.configs.set(provider, config);
    }
    return config;
  }

  private async ticket(purpose: TicketPurpose, t: { provider: OidcProviderName; subject: string; email: string | null; userId: string | null }): Promise<string> {
    const secret = newSecret();
    await this.d.store.insertTicket({ hash: secret.hash, purpose, ttlSeconds: TICKET_TTL_SECONDS[purpose], ...t });
    return secret.token;
  }

  private async take(token: string, purpose: TicketPurpose): Promise<OidcTicketRow> {
    const t = await this.d.store.takeTicket(hashSecret(token), purpose);
    if (typeof t === 'string') throw new AppError(...TICKET_REFUSAL[t]);
    return t;
  }

  private seal(flow: Flow): string {
    const body = Buffer.from(JSON.stringify(flow)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The flow from its cookie, or undefined when it is missing, forged or expired. */
  private open(cookie: string | undefined): Flow | undefined {
    const [body, mac] = cookie?.split('.') ?? [];
    if (!body || !mac) return undefined;
    const expected = Buffer.from(this.sign(body));
    if (expected.length !== mac.length || !timingSafeEqual(expected, Buffer.from(mac))) return undefined;
    const flow = JSON.parse(Buffer.from(body, 'base64url').toString()) as Flow;
    return flow.expiresAt > this.now() ? flow : undefined;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  private redirectUri(provider: OidcProviderName): string {
    return new URL(`/api/auth/oidc/${provider}/callback`, this.d.publicUrl).href;
  }

  private toWeb(fragment: Record<string, string>): string {
    return `${new URL('/oidc/callback', this.d.webUrl).href}#${new URLSearchParams(fragment)}`;
  }

  private now(): number {
    return (this.d.now?.() ?? new Date()).getTime();
  }
}

/** A refused code (replayed, expired, for another client) or a bad ID token is the sign-in's fault; a provider that fails is not. */
function providerFailure(err: unknown): AppError {
  const down = err instanceof TypeError || (err instanceof oidc.ResponseBodyError && err.status >= 500);
  if (down) return new AppError('OIDC_PROVIDER_UNAVAILABLE', 'the provider cannot be reached; try again later');
  return new AppError('OIDC_CODE_REJECTED', 'the provider did not confirm this sign-in; start again');
}
