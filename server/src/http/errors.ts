import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError } from '../errors.js';

/** 404 in the one error body for every route nobody claimed. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/** body-parser's failures have a `type`; map them to our codes instead of leaking its text. */
function fromBodyParser(err: { type?: unknown; status?: unknown }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('INVALID_JSON', 'request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('VALIDATION_FAILED', 'request body was incomplete');
    default:
      return undefined;
  }
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appErr = err instanceof AppError ? err : (fromBodyParser(err ?? {}) ?? toAppError(err));
  if (appErr.code === 'INTERNAL') req.log?.error({ err }, 'request failed');
  if (appErr.extra.retryAfterSeconds) res.setHeader('Retry-After', String(appErr.extra.retryAfterSeconds));
  if (res.headersSent) return;
  res.status(appErr.status).json({ error: appErr.toBody() });
};

/** Bodies are JSON: a body of any other type is refused rather than silently ignored. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json'));
    return;
  }
  next();
};
