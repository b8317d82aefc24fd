import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../../shared/errors.js';

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

/** Anything thrown becomes an AppError; unknown failures are INTERNAL and never leak their text. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('INTERNAL', 'internal error');
}

export function validationError(issues: { path: PropertyKey[]; message: string }[]): AppError {
  return new AppError('VALIDATION_FAILED', 'request is not valid', {
    details: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}
