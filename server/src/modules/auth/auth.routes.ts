import { Router } from 'express';
import { z } from 'zod';
import { loginBody, refreshBody, signupBody } from '../../../../shared/auth.js';
import { clientInfo, principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuthService } from './auth.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export function authRoutes(auth: AuthService, guards: Guards): Router {
  const r = Router();
  r.post('/signup', async (req, res) => {
    res.status(201).json(await auth.signup(parse(signupBody, req.body), clientInfo(req)));
  });
  r.post('/login', async (req, res) => {
    res.json(await auth.login(parse(loginBody, req.body), clientInfo(req)));
  });
  r.post('/refresh', async (req, res) => {
    res.json(await auth.refresh(parse(refreshBody, req.body).refreshToken, clientInfo(req)));
  });
  r.post('/logout', guards.authed, async (req, res) => {
    await auth.logout(principalOf(res), clientInfo(req));
    res.status(204).end();
  });
  r.get('/sessions', guards.authed, async (_req, res) => {
    res.json({ sessions: await auth.sessions(principalOf(res)) });
  });
  r.delete('/sessions/:id', guards.authed, async (req, res) => {
    await auth.revokeOwnSession(principalOf(res), parse(z.uuid(), req.params.id), clientInfo(req));
    res.status(204).end();
  });
  return r;
}

/** Mounted at /api/auth. */
export const authRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/signup', summary: 'Create an account; returns the user and a session (access + refresh token).', auth: 'none', body: signupBody, response: { status: 201, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/login', summary: 'Sign in with email and password.', auth: 'none', body: loginBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/refresh', summary: 'Rotate the refresh token; a reused one revokes the session.', auth: 'none', body: refreshBody, response: { status: 200, description: 'accessToken, refreshToken' } },
  { method: 'post', path: '/logout', summary: "Revoke the caller's session.", auth: 'user', response: { status: 204, description: 'logged out' } },
  { method: 'get', path: '/sessions', summary: "The caller's live sessions (devices logged in), most recently used first; the caller's own is marked current.", auth: 'user', response: { status: 200, description: '{ sessions }' } },
  { method: 'delete', path: '/sessions/:id', summary: 'Log out one of the caller\'s own sessions (its tokens are refused and its sockets closed everywhere).', auth: 'user', params: { id: z.uuid() }, response: { status: 204, description: 'logged out' } },
];
