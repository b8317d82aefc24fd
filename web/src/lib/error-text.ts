import type { ErrorCode } from '../../../shared/errors.js';
import { ApiError } from './api.js';

/** What a person reads for each error code: plain words and what to do next. */
const TEXT: Partial<Record<ErrorCode | 'NETWORK', string>> = {
  NETWORK: 'Pairly cannot be reached. Check your connection and try again.',
  VALIDATION_FAILED: 'Some of what you entered is not valid. Check the highlighted fields.',
  PUSH_UNAVAILABLE: 'Browser notifications are not available on this server.',
  WEAK_PASSWORD: 'That password is too easy to guess. Use at least 10 characters, mixing words, numbers or symbols.',
  INVALID_CREDENTIALS: 'That email and password do not match an account.',
  TWO_FACTOR_REQUIRED: 'Enter the code from your authenticator app.',
  TWO_FACTOR_INVALID: 'That code is not right, or it was used already. Try the newest code.',
  TWO_FACTOR_ALREADY_ENABLED: 'Two-factor sign-in is already on.',
  TWO_FACTOR_NOT_ENABLED: 'Two-factor sign-in is not on.',
  TWO_FACTOR_SETUP_REQUIRED: 'This needs two-factor sign-in. Turn it on in Settings, then try again.',
  STEP_UP_REQUIRED: 'Confirm it is you with a code from your authenticator app, then try again.',
  LOGIN_CONFIRMATION_REQUIRED: 'This sign-in looks unusual, so we emailed you a link. Open it, then sign in again from this device.',
  LOGIN_HELD: 'This sign-in looks unusual and was stopped to protect your account. Contact support to get back in.',
  PAYMENT_RISK_REFUSED: 'This purchase cannot be made right now. Contact support if you think this is a mistake.',
  RISK_ALREADY_DECIDED: 'This was already decided (approved, rejected or released).',
  AGE_RESTRICTED: 'You must be 18 or older to use Pairly.',
  EMAIL_TAKEN: 'An account with this email already exists. Log in instead?',
  UNAUTHENTICATED: 'Please log in again.',
  TOKEN_EXPIRED: 'Your session expired. Please log in again.',
  TOKEN_REUSED: 'For your safety this session was ended. Please log in again.',
  EMAIL_NOT_VERIFIED: 'Confirm your email first: open the link we sent you (the banner at the top can send it again).',
  LINK_INVALID: 'That link is not valid. Check that it was copied whole, or ask for a new one.',
  LINK_USED: 'That link has already been used. Ask for a new one if you still need it.',
  OIDC_PROVIDER_UNKNOWN: 'That way of signing in is not offered here. Use your email and password.',
  OIDC_STATE_INVALID: 'That sign-in took too long or did not start here. Please start again.',
  OIDC_CODE_REJECTED: 'The provider did not confirm your sign-in. Please start again.',
  OIDC_PROVIDER_UNAVAILABLE: 'The provider cannot be reached right now. Try again later, or use your email and password.',
  OIDC_EMAIL_UNVERIFIED: 'The provider did not confirm your email address. Sign up with your email instead.',
  LAST_SIGN_IN_METHOD: 'This is the only way into your account. Set a password first (use "Forgot password" on the sign-in page), then unlink it.',
  SESSION_REVOKED: 'This session was logged out. Please log in again.',
  ACCOUNT_SUSPENDED: 'This account is suspended.',
  FORBIDDEN: 'You are not allowed to do that.',
  MATCH_REQUIRED: 'They take messages only from their matches. Like their profile: if they like you back, you can talk.',
  BLOCKED: 'You cannot reach this person.',
  NOT_FOUND: 'That could not be found. It may have been removed.',
  INSUFFICIENT_CREDITS: 'You do not have enough credits for this.',
  PRICE_CHANGED: 'The price changed. Check the new price and try again.',
  CONVERSATION_CLOSED: 'This conversation has ended.',
  MESSAGE_DELETED: 'This message was deleted.',
  EDIT_WINDOW_CLOSED: 'This message can no longer be edited.',
  DELETE_WINDOW_CLOSED: 'This message can no longer be deleted for everyone.',
  BUSY: 'They are busy right now.',
  CALL_NOT_RINGING: 'This call is no longer ringing.',
  CALL_NOT_ACTIVE: 'This call has ended.',
  PAYLOAD_TOO_LARGE: 'That is too large to send.',
  UNSUPPORTED_MEDIA_TYPE: 'That kind of file cannot be used here.',
  UPLOAD_INCOMPLETE: 'The file did not arrive completely. Try again.',
  UPLOAD_EXPIRED: 'The upload took too long. Start it again.',
  MEDIA_WRONG_STATE: 'That photo or video is not ready yet, or can no longer be used.',
  MEDIA_UNAVAILABLE: 'Photos and videos are not available on this server right now.',
  LINK_EXPIRED: 'That link has expired. Try again.',
  EXPORT_EXPIRED: 'That export has expired. Ask for a new one.',
  EXPORT_NOT_READY: 'Your export is still being prepared. We will email you when it is ready.',
  INVALID_SIGNATURE: 'That link is not valid.',
  TOO_MANY_SOCKETS: 'Pairly is open on too many devices or tabs. Close one and try again.',
  NOT_READY: 'Pairly is having a moment. Try again shortly.',
  SHUTTING_DOWN: 'Pairly is restarting. Try again in a moment.',
  SFU_UNAVAILABLE: 'Video is unavailable right now. Try again shortly.',
  PROVIDER_UNAVAILABLE: 'That payment method is not answering right now. Try again in a moment.',
  PROVIDER_NOT_OFFERED: 'That payment method is not offered here.',
  PROVIDER_ERROR: 'The payment provider did not answer. Nothing was charged; try again.',
  IDEMPOTENCY_CONFLICT: 'That request was already made with different details.',
  HANDLE_TAKEN: 'That handle is taken. Choose another.',
  ALREADY_SUBSCRIBED: 'You already subscribe to this creator.',
  TIER_LIMIT_REACHED: 'You have as many tiers as allowed. Archive one first.',
  TRIAL_CLAIMED: 'You already used this free trial.',
  TRIAL_UNAVAILABLE: 'This free trial is no longer available.',
  PIN_LIMIT: 'You can pin up to 3 posts. Unpin one first.',
  PRICE_LOCKED: 'Someone bought this post, so who may see it can no longer change.',
  COMMENTS_OFF: 'Comments are off for this post.',
  VERIFICATION_REQUIRED: 'Verify your identity and age first (Studio → Verification) to sell paid content.',
  VERIFICATION_PENDING: 'Your verification is waiting for review.',
  ALREADY_VERIFIED: 'You are verified already.',
  VERIFICATION_DECIDED: 'This verification was already decided.',
  MASS_MESSAGE_FINISHED: 'This mass message has already finished or was cancelled.',
  PAYOUT_BELOW_MINIMUM: 'That is below the smallest payout.',
  INSUFFICIENT_EARNINGS: 'That is more than your available earnings.',
  PAYOUT_METHOD_REQUIRED: 'Set up a payout method first.',
  PAYOUT_WRONG_STATE: 'This payout has moved on; refresh to see where it is.',
  PAYOUTS_FROZEN: 'Payouts of this account are frozen.',
  SELF_ACTION_REFUSED: 'You cannot do this to your own account: ask another admin.',
  ACCOUNT_DELETED: 'Its owner deleted this account: there is nothing left to warn, suspend, ban, restore or promote.',
  ALREADY_APPEALED: 'You have appealed this decision already. Each decision can be appealed once.',
  NOT_APPEALABLE: 'This decision cannot be appealed.',
  APPEAL_CLOSED: 'This appeal was decided already.',
  TEXT_REFUSED: 'Some of those words are not allowed here. Reword it and try again.',
  MODERATION_ALREADY_DECIDED: 'This item was already decided.',
  INTERNAL: 'Something went wrong on our side. Try again.',
};

/** TEXT_REFUSED says why in `details.reason`. */
const TEXT_REFUSED_WORDS: Record<string, string> = {
  contact_to_stranger: 'No links or phone numbers in a first message: wait until they reply.',
  repeated: 'You sent this same message to too many people. Write to each person in your own words.',
};

export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The sentence to show for any error (an ApiError, a socket ack error, or anything thrown). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError || isCoded(err)) {
    const code = err.code as ErrorCode | 'NETWORK';
    const retry = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
    const reason = (err as { details?: { reason?: string } }).details?.reason;
    if (code === 'TEXT_REFUSED' && reason && TEXT_REFUSED_WORDS[reason]) return TEXT_REFUSED_WORDS[reason];
    if (code === 'RATE_LIMITED') return retry ? `Too many attempts. Try again in ${waitText(Math.ceil(retry))}.` : 'Too many attempts. Wait a moment and try again.';
    return TEXT[code] ?? (err as { message?: string }).message ?? 'Something went wrong.';
  }
  return 'Something went wrong. Try again.';
}

function isCoded(err: unknown): err is { code: string; message?: string } {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
}

/** A WEAK_PASSWORD says what the password lacks, in the server's words; anything else as errorText. */
export function passwordErrorText(err: unknown): string {
  return err instanceof ApiError && err.code === 'WEAK_PASSWORD' ? `Choose a stronger password: it ${err.message.replace(/^password /, '')}.` : errorText(err);
}
