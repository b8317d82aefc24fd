import { Router } from 'express';
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
  return r;
}

/** Mounted at /api/auth. */
export const authRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/signup', summary: 'Create an account; returns the user and a session (access + refresh token).', auth: 'none', body: signupBody, response: { status: 201, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/login', summary: 'Sign in with email and password.', auth: 'none', body: loginBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/refresh', summary: 'Rotate the refresh token; a reused one revokes the session.', auth: 'none', body: refreshBody, response: { status: 200, description: 'accessToken, refreshToken' } },
  { method: 'post', path: '/logout', summary: "Revoke the caller's session.", auth: 'user', response: { status: 204, description: 'logged out' } },
];
