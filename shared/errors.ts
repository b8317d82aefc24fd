/**
 * The one error contract. Every failure a client can see carries one of these
 * stable codes: in the REST body `{ error: { code, message } }`, in a socket
 * ack `{ ok: false, error: { code, message } }` and in a handshake
 * `connect_error` as `err.data.code`. The HTTP status lives next to the code
 * so that every transport maps it the same way.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  /** Web push is not offered on this server (no VAPID keys in cluster mode): not a passing outage, so not a 5xx. */
  PUSH_UNAVAILABLE: 404,
  INVALID_JSON: 400,
  WEAK_PASSWORD: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REUSED: 401,
  /** A mailed link (verification, password reset, email change) that is unknown, mistyped or for another purpose. */
  LINK_INVALID: 400,
  /** A mailed link already used once: each works a single time. */
  LINK_USED: 410,
  /** Sign-in with this OpenID provider is not offered here (its client id and secret are not configured). */
  OIDC_PROVIDER_UNKNOWN: 404,
  /** An OpenID sign-in's callback without the flow this browser started (forged or missing state, or over 10 minutes). */
  OIDC_STATE_INVALID: 400,
  /** The provider refused the code (replayed, expired) or its ID token did not check out (nonce, audience, signature). */
  OIDC_CODE_REJECTED: 400,
  /** The provider cannot be reached or failed: try again later. */
  OIDC_PROVIDER_UNAVAILABLE: 503,
  /** The provider did not vouch for an email address, and no linked account exists: sign up with an email instead. */
  OIDC_EMAIL_UNVERIFIED: 403,
  /** Unlinking the only way into an account (its last linked sign-in, and no password set). */
  LAST_SIGN_IN_METHOD: 409,
  SESSION_REVOKED: 401,
  INVALID_CREDENTIALS: 401,
  /** The password was right; the account has two-factor sign-in: POST /api/auth/login/2fa with `details.challenge` and a code. */
  TWO_FACTOR_REQUIRED: 401,
  /** The authenticator code or recovery code is wrong, expired or already used. */
  TWO_FACTOR_INVALID: 401,
  /** Two-factor sign-in is on already (turn it off first to enrol a new app). */
  TWO_FACTOR_ALREADY_ENABLED: 409,
  /** Two-factor sign-in is not on for this account (or its enrolment was not begun). */
  TWO_FACTOR_NOT_ENABLED: 409,
  /** This needs two-factor sign-in, and the account has none: turn it on (Settings), then try again. */
  TWO_FACTOR_SETUP_REQUIRED: 403,
  /** This needs a session that proved the second factor (lately): POST /api/auth/2fa/verify with a code, then try again. */
  STEP_UP_REQUIRED: 403,
  /** A sign-in that looks unusual (risk step-up) for an account without two-factor sign-in: open the mailed link, then sign in again. */
  LOGIN_CONFIRMATION_REQUIRED: 403,
  /** A sign-in that looks too unusual (risk hold): refused; support can help. */
  LOGIN_HELD: 403,
  /** A checkout refused by payment risk scoring. */
  PAYMENT_RISK_REFUSED: 403,
  /** The held payment was approved or rejected already (details: `{ decision }`). */
  RISK_ALREADY_DECIDED: 409,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  INVALID_SIGNATURE: 400,
  HOLD_AMOUNT_EXCEEDED: 400,
  PROVIDER_UNAVAILABLE: 503,
  PROVIDER_NOT_OFFERED: 400,
  INSUFFICIENT_CREDITS: 402,
  FORBIDDEN: 403,
  /** The account's email is not confirmed yet (payout requests need it): open the mailed link, or POST /api/auth/verify-email/resend. */
  EMAIL_NOT_VERIFIED: 403,
  AGE_RESTRICTED: 403,
  BLOCKED: 403,
  /** This person takes messages and calls only from their matches (they may allow everyone in their settings). */
  MATCH_REQUIRED: 403,
  /** Suspended or banned; details `{ decisionId, reason, until (null: banned), appealToken }` for POST /api/appeals/with-token. */
  ACCOUNT_SUSPENDED: 403,
  NOT_FOUND: 404,
  UNKNOWN_EVENT: 404,
  HOLD_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  IDEMPOTENCY_CONFLICT: 409,
  /** The price of a paid action is not the one its client stated (`expectedPrice`); details: `{ price }`, the current one. */
  PRICE_CHANGED: 409,
  HOLD_NOT_PENDING: 409,
  /** Another creator's page has this handle. */
  HANDLE_TAKEN: 409,
  /** The fan already holds a subscription to this creator (details: `{ subscriptionId, tierId }`): change its tier instead. */
  ALREADY_SUBSCRIBED: 409,
  /** The creator already has CREATOR_MAX_TIERS tiers (archive one first). */
  TIER_LIMIT_REACHED: 409,
  /** This fan has claimed this free-trial link already. */
  TRIAL_CLAIMED: 409,
  /** The free-trial link is revoked, expired or fully claimed. */
  TRIAL_UNAVAILABLE: 410,
  CONVERSATION_CLOSED: 409,
  /** The message was deleted (for everyone, or already by the caller for themselves). */
  MESSAGE_DELETED: 409,
  /** A message can be edited only within CHAT_EDIT_WINDOW_SECONDS of sending. */
  EDIT_WINDOW_CLOSED: 409,
  /** A message can be deleted for everyone only within CHAT_DELETE_WINDOW_SECONDS of sending. */
  DELETE_WINDOW_CLOSED: 409,
  BUSY: 409,
  CALL_NOT_RINGING: 409,
  CALL_NOT_ACTIVE: 409,
  HOLD_EXPIRED: 409,
  /** A media upload has not stored its bytes yet: nothing uploaded, zero bytes, or parts missing. */
  UPLOAD_INCOMPLETE: 409,
  /** The media is not in a state that allows this (details: `{ state }`). */
  MEDIA_WRONG_STATE: 409,
  /** The upload's time (MEDIA_UPLOAD_TTL_SECONDS) is over: start a new upload. */
  UPLOAD_EXPIRED: 410,
  /** A signed media URL, upload URL or mailed account link past its expiry: ask for a fresh one. */
  LINK_EXPIRED: 410,
  /** A data export past its expiry: ask for a new one. */
  EXPORT_EXPIRED: 410,
  /** A data export still being built: its mail says when it is ready. */
  EXPORT_NOT_READY: 409,
  /** A creator already has POST_PINS_MAX pinned posts (details: `{ max }`): unpin one first. */
  PIN_LIMIT: 409,
  /** A pay-per-view post someone bought: its price and visibility can no longer change. */
  PRICE_LOCKED: 409,
  /** The post's creator turned comments off on it. */
  COMMENTS_OFF: 403,
  /** Only verified creators may do this (payouts; paid content when CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION is on): GET /api/verification. */
  VERIFICATION_REQUIRED: 403,
  /** The creator's verification is waiting for review: no second submission until it is decided. */
  VERIFICATION_PENDING: 409,
  /** The creator is verified already. */
  ALREADY_VERIFIED: 409,
  /** This verification was already decided the other way (details: `{ status }`). */
  VERIFICATION_DECIDED: 409,
  /** This mass message has finished or was cancelled already (details: `{ status }`). */
  MASS_MESSAGE_FINISHED: 409,
  /** A payout below PAYOUT_MIN_CREDITS (details: `{ min }`). */
  PAYOUT_BELOW_MINIMUM: 400,
  /** A payout larger than the available earnings, or available is negative (details: `{ available }`). */
  INSUFFICIENT_EARNINGS: 402,
  /** No ready payout method with this provider: add one (POST /api/payouts/methods/...) and finish its onboarding. */
  PAYOUT_METHOD_REQUIRED: 409,
  /** The payout is not in a state that allows this (details: `{ status }`). */
  PAYOUT_WRONG_STATE: 409,
  /** Ban: this account's payouts are frozen (pending requests were rejected; new ones are refused while banned). */
  PAYOUTS_FROZEN: 403,
  /** An admin action on one's own account (a decision, an appeal, a role change). */
  SELF_ACTION_REFUSED: 403,
  /** An admin action that needs a live account (a warning, suspension, ban, restore or role change) on one its owner deleted. */
  ACCOUNT_DELETED: 409,
  /** A decision can be appealed once. */
  ALREADY_APPEALED: 409,
  /** Dismissals and restores cannot be appealed. */
  NOT_APPEALABLE: 409,
  /** The appeal was decided already. */
  APPEAL_CLOSED: 409,
  /** Moderation refused a text (details: `{ reason }`: `profanity` in a bio, `contact_to_stranger`, `repeated`). */
  TEXT_REFUSED: 422,
  /** The moderation verdict was decided already, or is not a quarantine (details: `{ verdict, decision }`). */
  MODERATION_ALREADY_DECIDED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** Handshake refused: the user already has SOCKETS_PER_USER_MAX sockets open (over all nodes). */
  TOO_MANY_SOCKETS: 429,
  INTERNAL: 500,
  PROVIDER_ERROR: 502,
  /** PostgreSQL or Redis cannot be reached: retry after `retryAfterSeconds` (HTTP: the Retry-After header). */
  NOT_READY: 503,
  SHUTTING_DOWN: 503,
  SFU_UNAVAILABLE: 503,
  /** This deployment stores no media (cluster mode without S3 configured). */
  MEDIA_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Field-level problems for VALIDATION_FAILED; `{ price }` (the current price) for PRICE_CHANGED. */
  details?: unknown;
  retryAfterSeconds?: number;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}
