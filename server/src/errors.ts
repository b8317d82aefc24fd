import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../../shared/errors.js';
import { isUnavailable } from './dependency-state.js';
import { pgError } from './db/database.js';

/** What NOT_READY tells clients to wait before retrying: about the time a restarted Redis or PostgreSQL needs. */
export const NOT_READY_RETRY_AFTER_SECONDS = 3;

/** A failure with a stable code from shared/errors.ts; safe to show the client. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = code,
    readonly extra: { details?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, ...this.extra };
  }
}

/**
 * PostgreSQL refused a value (SQLSTATE class 22, data exception: 22021 a NUL
 * byte, 22P02 a malformed uuid or number, 22003 out of range, 22008/22007 a
 * bad date). Validation should have refused it first; when it did not, the
 * value still came from the client, so it is not our failure.
 */
export function isDataException(err: unknown): boolean {
  return pgError(err)?.code?.startsWith('22') ?? false;
}

/**
 * Anything thrown becomes an AppError: a dependency that cannot be reached is
 * NOT_READY (retry later; the outage is logged once, by its DependencyState);
 * a value PostgreSQL refused is VALIDATION_FAILED; other unknown failures are
 * INTERNAL and never leak their text.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isUnavailable(err)) {
    return new AppError('NOT_READY', 'a service this request needs is unavailable; retry shortly', { retryAfterSeconds: NOT_READY_RETRY_AFTER_SECONDS });
  }
  if (isDataException(err)) return new AppError('VALIDATION_FAILED', 'a value in the request is not acceptable');
  return new AppError('INTERNAL', 'internal error');
}

/** Logged (as a warning) when the data-exception safety net caught what validation should have refused. */
export const DATA_EXCEPTION_LOG = 'database refused a value that validation let through';

export function validationError(issues: { path: PropertyKey[]; message: string }[]): AppError {
  return new AppError('VALIDATION_FAILED', 'request is not valid', {
    details: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}
