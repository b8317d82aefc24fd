import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { adminCreateBody } from '../../../../shared/admin.js';
import { sameSecret } from '../../control.js';
import { AppError } from '../../errors.js';
import { parse } from '../../validate.js';
import type { VerifyReport } from '../ledger/ledger.verify.js';
import type { createAdmin } from './admin.create.js';
import type { RouteDoc } from '../../http/route-docs.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Same machine: loopback, or the server's own address when it listens on one interface. */
function fromThisMachine(req: Request): boolean {
  const remote = req.socket.remoteAddress ?? '';
  return LOOPBACK.test(remote) || remote === req.socket.localAddress;
}

/**
 * The CLI's calls while the embedded server holds the data dir (see
 * control.ts): POST /_control/admin-users (`npm run admin:create`) and
 * GET /_control/ledger-verify (`npm run ledger:verify`). Outside /api: not
 * behind the per-address limit, and not proxied by nginx, which answers only
 * its own locations. Mounted only in embedded mode; from this machine, with
 * the secret from the data dir.
 */
export function adminControlRoutes(d: {
  secret: string;
  createAdmin: (input: Parameters<typeof createAdmin>[1]) => ReturnType<typeof createAdmin>;
  verifyLedger: () => Promise<VerifyReport>;
}): Router {
  const r = Router();
  const controlOnly = (req: Request, _res: Response, next: NextFunction) => {
    if (!fromThisMachine(req)) throw new AppError('FORBIDDEN', 'the control API answers only on this machine');
    const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !sameSecret(m[1]!, d.secret)) throw new AppError('UNAUTHENTICATED', 'the control secret from the data dir is required');
    next();
  };
  r.post('/_control/admin-users', controlOnly, express.json({ limit: '10kb', strict: true }), async (req, res) => {
    res.status(201).json(await d.createAdmin(parse(adminCreateBody, req.body)));
  });
  r.get('/_control/ledger-verify', controlOnly, async (_req, res) => {
    res.json(await d.verifyLedger());
  });
  return r;
}

export const adminControlRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/_control/admin-users', summary: 'Embedded mode, from this machine only: create an admin (npm run admin:create).', auth: 'control', body: adminCreateBody, response: { status: 201, description: 'the admin user' } },
  { method: 'get', path: '/_control/ledger-verify', summary: 'Embedded mode, from this machine only: verify the ledger (npm run ledger:verify).', auth: 'control', response: { status: 200, description: 'the verification report' } },
];
