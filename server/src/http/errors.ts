import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, DATA_EXCEPTION_LOG, isDataException, toAppError } from '../errors.js';

/** 404 in the one error body for every route nobody claimed. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

interface ExpressError {
  type?: unknown;
  status?: unknown;
  code?: unknown;
  errno?: unknown;
}

/**
 * Failures of Express itself (body-parser's http-errors, the router's
 * undecodable path parameter) are the client's: map them to our codes
 * instead of leaking their text or calling them INTERNAL.
 */
function fromExpress(err: ExpressError): AppError | undefined {
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
  }
  // zlib's own error (Z_DATA_ERROR, brotli's ERR__ERROR_FORMAT_*), passed on by body-parser with status 400.
  if (typeof err.errno === 'number' && typeof err.code === 'string' && /^(Z_|ERR_)/.test(err.code)) {
    return new AppError('INVALID_JSON', 'request body could not be decompressed as its Content-Encoding says');
  }
  if (err instanceof URIError) return new AppError('VALIDATION_FAILED', 'the URL has a malformed percent-encoding');
  const status = err.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 404) return new AppError('NOT_FOUND', 'not found');
    return new AppError(status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_FAILED', 'request is not valid');
  }
  return undefined;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appErr = err instanceof AppError ? err : (fromExpress(err ?? {}) ?? toAppError(err));
  if (appErr.code === 'INTERNAL') req.log?.error({ err }, 'request failed');
  else if (isDataException(err)) req.log?.warn({ err }, DATA_EXCEPTION_LOG);
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
