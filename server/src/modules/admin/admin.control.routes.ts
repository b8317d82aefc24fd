import express, { Router, type Request } from 'express';
import { adminCreateBody } from '../../../../shared/admin.js';
import { sameSecret } from '../../control.js';
import { AppError } from '../../errors.js';
import { parse } from '../../validate.js';
import type { createAdmin } from './admin.create.js';
import type { RouteDoc } from '../../http/route-docs.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Same machine: loopback, or the server's own address when it listens on one interface. */
function fromThisMachine(req: Request): boolean {
  const remote = req.socket.remoteAddress ?? '';
  return LOOPBACK.test(remote) || remote === req.socket.localAddress;
}

/**
 * POST /_control/admin-users: `npm run admin:create` while the embedded
 * server holds the data dir (see control.ts). Outside /api: not behind the
 * per-address limit, and not proxied by nginx, which answers only its own
 * locations. Mounted only in embedded mode.
 */
export function adminControlRoutes(d: { secret: string; createAdmin: (input: Parameters<typeof createAdmin>[1]) => ReturnType<typeof createAdmin> }): Router {
  const r = Router();
  r.post(
    '/_control/admin-users',
    (req, _res, next) => {
      if (!fromThisMachine(req)) throw new AppError('FORBIDDEN', 'the control API answers only on this machine');
      const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !sameSecret(m[1]!, d.secret)) throw new AppError('UNAUTHENTICATED', 'the control secret from the data dir is required');
      next();
    },
    express.json({ limit: '10kb', strict: true }),
    async (req, res) => {
      res.status(201).json(await d.createAdmin(parse(adminCreateBody, req.body)));
    },
  );
  return r;
}

export const adminControlRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/_control/admin-users', summary: 'Embedded mode, from this machine only: create an admin (npm run admin:create).', auth: 'control', body: adminCreateBody, response: { status: 201, description: 'the admin user' } },
];
