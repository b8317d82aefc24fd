import { Router, type Request } from 'express';
import { AppError } from '../../errors.js';
import type { RouteDoc } from '../../http/route-docs.js';
import type { MailService } from './mail.service.js';

/** The outbox holds everyone's links: only this machine may read it (a newcomer's browser on localhost). */
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function mailRoutes(mail: MailService): Router {
  const r = Router();
  r.get('/outbox', async (req: Request, res) => {
    if (!LOOPBACK.has(req.ip ?? '')) throw new AppError('FORBIDDEN', 'the outbox can be read only from the machine Pairly runs on');
    res.json({ mails: await mail.outbox() });
  });
  return r;
}

/** Mounted at /api/mail. */
export const mailRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/outbox',
    summary: 'The local outbox (only without SMTP_URL, and only from the machine Pairly runs on): the 100 newest mails with their links.',
    auth: 'none',
    response: { status: 200, description: '{ mails: [{ id, to, subject, text, links, sentAt }] }' },
  },
];
