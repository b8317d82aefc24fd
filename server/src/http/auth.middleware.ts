import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import type { Authenticator, ClientInfo, Principal } from '../principal.js';

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

/** The ready-made route guards the composition root builds once from the auth service and hands to every module's routes. */
export interface Guards {
  /** A valid, unrevoked `Authorization: Bearer <accessToken>`; sets the principal. */
  authed: RequestHandler;
  /** Authenticated, and of one of these roles (FORBIDDEN otherwise). */
  requireRole(...roles: Principal['role'][]): RequestHandler;
}

/**
 * `wrote` hears of every authenticated request that may write (any method but GET, HEAD, OPTIONS):
 * the user's lag-tolerant reads then go to the primary for a while (Database.reader, read-your-writes).
 */
export function createGuards(auth: Authenticator, opts: { wrote?: (userId: string) => void } = {}): Guards {
  const authenticate = async (req: Request, res: Response) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer (\S+)$/i.exec(header) : null;
    if (!match) throw new AppError('UNAUTHENTICATED', 'Authorization: Bearer <accessToken> is required');
    const principal = await auth.authenticate(match[1]);
    res.locals.principal = principal;
    // Marked before the write runs and again when the answer goes out, so the window covers a slow write.
    if (opts.wrote && !SAFE_METHODS.has(req.method)) {
      const wrote = opts.wrote;
      wrote(principal.userId);
      res.once('finish', () => wrote(principal.userId));
    }
  };
  return {
    authed: async (req, res, next) => {
      await authenticate(req, res);
      next();
    },
    requireRole: (...roles) => async (req, res, next) => {
      await authenticate(req, res);
      const p = res.locals.principal!;
      if (!roles.includes(p.role)) throw new AppError('FORBIDDEN', 'you may not do this');
      // Admins act only from sessions that proved a second factor.
      if (p.role === 'admin') await auth.requireSecondFactor(p);
      next();
    },
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function principalOf(res: { locals: { principal?: Principal } }): Principal {
  const p = res.locals.principal;
  if (!p) throw new AppError('UNAUTHENTICATED', 'not authenticated');
  return p;
}

export function clientInfo(req: Request): ClientInfo {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}
