import { z } from 'zod';
import { text } from './input.js';

export const ROLES = ['fan', 'creator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const email = text()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((value) => value.toLowerCase());

/** Strength rules live in the auth service (WEAK_PASSWORD); this bounds size only. */
export const password = text().min(1).max(256);

export const birthdate = z.iso.date();

export const signupBody = z.strictObject({
  email,
  password,
  displayName: text().trim().min(1).max(50),
  birthdate,
  role: z.enum(['fan', 'creator']),
});
export type SignupBody = z.infer<typeof signupBody>;

export const loginBody = z.strictObject({ email, password });
export type LoginBody = z.infer<typeof loginBody>;

export const refreshBody = z.strictObject({ refreshToken: text().min(16).max(512) });

/** A token from a mailed link (verification, password reset, email change): 43 base64url characters. */
export const mailedToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a token from a mailed link');
export const tokenBody = z.strictObject({ token: mailedToken });
export const passwordResetRequestBody = z.strictObject({ email });
export const passwordResetBody = z.strictObject({ token: mailedToken, password });
export const passwordChangeBody = z.strictObject({ currentPassword: password, newPassword: password });
export const emailChangeBody = z.strictObject({ newEmail: email, password });

/**
 * What sign-up, a reset request and a change of address answer, whatever the
 * address: the same status and body for a registered one and a new one, so
 * that none of them tells whether an account exists.
 */
export interface MailSentResult {
  /** Always true: a mail is on its way to the address (what it says depends on the account). */
  accepted: true;
}

/** How far a change of address is: it takes effect only once both mailboxes confirmed. */
export interface EmailChangeConfirmation {
  state: 'waiting_for_other_address' | 'changed';
}

/** A mail written to the local outbox (embedded mode without SMTP_URL), as GET /api/mail/outbox lists it. */
export interface OutboxMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  /** The links in the mail, in order, so the page can show them as links. */
  links: string[];
  sentAt: string;
}

/** A code from the authenticator app (6 digits). */
export const totpCode = z.string().regex(/^\d{6}$/, 'six digits');
/** A recovery code as shown at enrolment (`xxxxx-xxxxx`); case, spaces and dashes are forgiven. */
export const recoveryCode = text().trim().min(10).max(32);
/** The second step of a login that answered TWO_FACTOR_REQUIRED: its challenge, and a code or a recovery code. */
export const loginTwoFactorBody = z
  .strictObject({ challenge: text().min(16).max(2048), code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((v) => (v.code === undefined) !== (v.recoveryCode === undefined), 'give either code or recoveryCode');
export const twoFactorEnableBody = z.strictObject({ code: totpCode });
/** A step-up on the current session: a code from the app or a recovery code. */
export const twoFactorVerifyBody = z
  .strictObject({ code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((v) => (v.code === undefined) !== (v.recoveryCode === undefined), 'give either code or recoveryCode');

export const twoFactorDisableBody = z
  .strictObject({ password, code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((v) => (v.code === undefined) !== (v.recoveryCode === undefined), 'give either code or recoveryCode');

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  /** Unused recovery codes left (0 when not enabled). */
  recoveryCodesLeft: number;
}

/** An enrolment begun: the secret to add to an authenticator app, as text, as an otpauth:// link and as a QR code (SVG). */
export interface TwoFactorSetup {
  secret: string;
  otpauthUrl: string;
  qrSvg: string;
}

export const updateMeBody = z
  .strictObject({
    displayName: text().trim().min(1).max(50).optional(),
    /** Creators only: credits a fan pays per message sent to them (0 = free). */
    messagePrice: z.number().int().min(0).max(100_000).optional(),
    /** Creators only: credits a fan pays per minute of a call with them (0 = free). */
    callPricePerMinute: z.number().int().min(0).max(100_000).optional(),
  })
  .refine((v) => v.displayName !== undefined || v.messagePrice !== undefined || v.callPricePerMinute !== undefined, 'nothing to update');

export interface PublicUser {
  id: string;
  email: string;
  displayName: string;
  birthdate: string;
  role: Role;
  messagePrice: number;
  callPricePerMinute: number;
  createdAt: string;
  /** Whether the owner opened a verification link sent to this address (or reset the password through it). */
  emailVerified: boolean;
}

export interface AuthResult {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** One of the caller's own live sessions (a logged-in device), as GET /api/auth/sessions lists them. */
export interface SessionView {
  id: string;
  createdAt: string;
  /** Updated at each token refresh, so about every 15 minutes while the device is in use. */
  lastUsedAt: string;
  /** The browser or client that logged in, as it described itself; null when it sent nothing. */
  userAgent: string | null;
  /** The user agent summarised for a person: "Firefox on Linux", "Pairly client", "unknown device". */
  device: string;
  /** Where it logged in from, coarsely: the address's /24 (IPv4) or /48 (IPv6) network, or "unknown". */
  place: string;
  /** The session of the token that asked. */
  current: boolean;
}

/** Sign in with an OpenID provider (#18). */
export const OIDC_PROVIDERS = ['google', 'apple'] as const;
export const oidcProvider = z.enum(OIDC_PROVIDERS);
export const oidcProviderParams = { provider: oidcProvider };
/** What a provider sends back to the callback (read by openid-client; bounded here). */
export const oidcCallbackQuery = z.object({
  code: text().max(2048).optional(),
  state: text().max(512).optional(),
  iss: text().max(512).optional(),
  error: text().max(256).optional(),
  error_description: text().max(1024).optional(),
});
/**
 * Apple's return with response_mode=form_post: the same fields as a form POST to the callback, and `user`
 * (the person's name as JSON, on their first sign-in only; not kept: the sign-up form asks the name).
 */
export const oidcCallbackForm = oidcCallbackQuery.extend({ user: text().max(2048).optional() });
/** One of the caller's linked sign-ins (GET /api/auth/identities). */
export interface LinkedIdentityView {
  provider: (typeof OIDC_PROVIDERS)[number];
  /** The address the provider gave when it was linked (Apple's may be a relay address). */
  email: string | null;
  linkedAt: string;
}
export interface LinkedIdentities {
  identities: LinkedIdentityView[];
  /** False for an account made through a provider until "forgot password" sets one: its last identity cannot be unlinked. */
  hasPassword: boolean;
}
/** The one-time ticket the callback put in the web app's URL fragment, exchanged for a session. */
export const oidcTicketBody = z.strictObject({ ticket: mailedToken });
/** A new account from a provider's verified address: what the provider does not tell (age, the name shown, the role). */
export const oidcSignupBody = z.strictObject({
  ticket: mailedToken,
  displayName: text().trim().min(1).max(50),
  birthdate,
  role: z.enum(['fan', 'creator']),
});
export type OidcSignupBody = z.infer<typeof oidcSignupBody>;
