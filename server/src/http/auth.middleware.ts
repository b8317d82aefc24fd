import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import type { AuthService, ClientInfo } from '../modules/auth/auth.service.js';
import type { Principal } from '../modules/auth/tokens.js';

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

export function requireAuth(auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer (\S+)$/i.exec(header) : null;
    if (!match) throw new AppError('UNAUTHENTICATED', 'Authorization: Bearer <accessToken> is required');
    res.locals.principal = await auth.authenticate(match[1]);
    next();
  };
}

export function requireRole(...roles: Principal['role'][]): RequestHandler {
  return (_req, res, next) => {
    if (!res.locals.principal || !roles.includes(res.locals.principal.role)) {
      throw new AppError('FORBIDDEN', 'you may not do this');
    }
    next();
  };
}

export function principalOf(res: { locals: { principal?: Principal } }): Principal {
  const p = res.locals.principal;
  if (!p) throw new AppError('UNAUTHENTICATED', 'not authenticated');
  return p;
}

export function clientInfo(req: Request): ClientInfo {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
