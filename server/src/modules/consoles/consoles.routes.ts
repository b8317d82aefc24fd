import { Router } from 'express';
import { z } from 'zod';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';

/** The cookie the consoles read: the admin's access token, sent only by this site's pages (SameSite=Strict). */
export const CONSOLE_COOKIE = 'pairly_console';

const empty = z.strictObject({});

/** Mounted at /api/admin/consoles. */
export function consoleRoutes(guards: Guards, o: { secureCookie: boolean; queues: boolean; sockets: boolean }): Router {
  const r = Router();
  const admin = guards.requireRole('admin');
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${CONSOLE_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${o.secureCookie ? '; Secure' : ''}`;
  r.get('/', admin, (_req, res) => {
    res.json({ consoles: { queues: o.queues ? '/admin/queues/' : null, sockets: o.sockets ? '/admin/sockets/' : null } });
  });
  r.post('/session', admin, (req, res) => {
    parse(empty, req.body ?? {});
    const p = principalOf(res);
    // The token the guard just accepted; the cookie lives as long as it does (a refreshed one needs a new call).
    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')![1]!;
    const maxAge = Math.max(1, Math.floor((p.expiresAt - Date.now()) / 1000));
    res.setHeader('Set-Cookie', cookie(token, maxAge)).setHeader('Cache-Control', 'no-store').status(204).end();
  });
  r.delete('/session', admin, (_req, res) => {
    res.setHeader('Set-Cookie', cookie('', 0)).status(204).end();
  });
  return r;
}

export const consoleRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: 'Which operator consoles this deployment has and where (queues: null in embedded mode).', auth: 'admin', response: { status: 200, description: '{ consoles: { queues, sockets } }' } },
  {
    method: 'post',
    path: '/session',
    summary: 'Opens the consoles for this browser: sets the HttpOnly console cookie (the access token, until it expires) that /admin/queues and /admin/sockets check.',
    auth: 'admin',
    body: empty,
    response: { status: 204, description: 'Set-Cookie: pairly_console' },
  },
  { method: 'delete', path: '/session', summary: 'Closes the consoles for this browser (clears the cookie; it also ends with its token).', auth: 'admin', response: { status: 204, description: 'cookie cleared' } },
];
