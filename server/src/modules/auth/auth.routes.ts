import { Router } from 'express';
import { loginBody, refreshBody, signupBody } from '../../../../shared/auth.js';
import { clientInfo, principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuthService } from './auth.service.js';

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
