import { Router } from 'express';
import { z } from 'zod';
import { loginBody, loginTwoFactorBody, refreshBody, signupBody, twoFactorDisableBody, twoFactorEnableBody, twoFactorVerifyBody } from '../../../../shared/auth.js';
import { clientInfo, principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuthService } from './auth.service.js';
import type { TwoFactorService } from './two-factor.js';
import type { RouteDoc } from '../../http/route-docs.js';

export function authRoutes(auth: AuthService, twoFactor: TwoFactorService, guards: Guards): Router {
  const r = Router();
  r.post('/signup', async (req, res) => {
    res.status(202).json(await auth.signup(parse(signupBody, req.body), clientInfo(req)));
  });
  r.post('/login', async (req, res) => {
    res.json(await auth.login(parse(loginBody, req.body), clientInfo(req)));
  });
  r.post('/login/2fa', async (req, res) => {
    res.json(await auth.loginTwoFactor(parse(loginTwoFactorBody, req.body), clientInfo(req)));
  });
  r.get('/2fa', guards.authed, async (_req, res) => {
    res.json({ twoFactor: await twoFactor.status(principalOf(res).userId) });
  });
  r.post('/2fa/setup', guards.authed, async (_req, res) => {
    res.json({ setup: await auth.setupTwoFactor(principalOf(res)) });
  });
  r.post('/2fa/enable', guards.authed, async (req, res) => {
    const { code } = parse(twoFactorEnableBody, req.body);
    const p = principalOf(res);
    const { recoveryCodes } = await twoFactor.enable(p.userId, code);
    // The code that turned it on proves it for this session too.
    await twoFactor.markSession(p.sessionId, p.userId);
    res.json({ twoFactor: await twoFactor.status(p.userId), recoveryCodes });
  });
  r.post('/2fa/verify', guards.authed, async (req, res) => {
    const f = parse(twoFactorVerifyBody, req.body);
    await twoFactor.stepUp(principalOf(res), f.code !== undefined ? { code: f.code } : { recoveryCode: f.recoveryCode! });
    res.status(204).end();
  });
  r.post('/2fa/disable', guards.authed, async (req, res) => {
    await auth.disableTwoFactor(principalOf(res), parse(twoFactorDisableBody, req.body));
    res.json({ twoFactor: await twoFactor.status(principalOf(res).userId) });
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
  r.post('/sessions/revoke-others', guards.authed, async (req, res) => {
    res.json(await auth.revokeOtherSessions(principalOf(res), clientInfo(req)));
  });
  r.delete('/sessions/:id', guards.authed, async (req, res) => {
    await auth.revokeOwnSession(principalOf(res), parse(z.uuid(), req.params.id), clientInfo(req));
    res.status(204).end();
  });
  return r;
}

/** Mounted at /api/auth. */
export const authRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/signup', summary: 'Create an account and mail a verification link; the same answer when the address has an account already (that address gets a warning instead). Then log in.', auth: 'none', body: signupBody, response: { status: 202, description: '{ accepted: true }' } },
  { method: 'post', path: '/login', summary: 'Sign in with email and password.', auth: 'none', body: loginBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/login/2fa', summary: 'Second step of a login that answered TWO_FACTOR_REQUIRED: its challenge (details.challenge, valid 5 minutes) and a code from the authenticator app or a recovery code.', auth: 'none', body: loginTwoFactorBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'get', path: '/2fa', summary: "Whether two-factor sign-in is on for the caller, since when, and how many recovery codes are left.", auth: 'user', response: { status: 200, description: '{ twoFactor: { enabled, enabledAt, recoveryCodesLeft } }' } },
  { method: 'post', path: '/2fa/setup', summary: 'Begins (or begins again) an enrolment: a new secret as text, an otpauth:// link and a QR code (SVG). TWO_FACTOR_ALREADY_ENABLED when on.', auth: 'user', response: { status: 200, description: '{ setup: { secret, otpauthUrl, qrSvg } }' } },
  { method: 'post', path: '/2fa/enable', summary: 'Confirms the enrolment with a code from the app: two-factor sign-in is on (and proved for this session); returns ten single-use recovery codes, shown only this once.', auth: 'user', body: twoFactorEnableBody, response: { status: 200, description: '{ twoFactor, recoveryCodes }' } },
  {
    method: 'post',
    path: '/2fa/verify',
    summary: 'A step-up: a code (or a recovery code) proves the second factor on the current session, as STEP_UP_REQUIRED asks (admin actions, payouts).',
    auth: 'user',
    body: twoFactorVerifyBody,
    response: { status: 204, description: 'this session passed the second factor now' },
  },
  { method: 'post', path: '/2fa/disable', summary: 'Turns two-factor sign-in off: the password and a code (or a recovery code).', auth: 'user', body: twoFactorDisableBody, response: { status: 200, description: '{ twoFactor }' } },
  { method: 'post', path: '/refresh', summary: 'Rotate the refresh token; a reused one revokes the session.', auth: 'none', body: refreshBody, response: { status: 200, description: 'accessToken, refreshToken' } },
  { method: 'post', path: '/logout', summary: "Revoke the caller's session.", auth: 'user', response: { status: 204, description: 'logged out' } },
  { method: 'get', path: '/sessions', summary: "The caller's live sessions (devices logged in), most recently used first; the caller's own is marked current.", auth: 'user', response: { status: 200, description: '{ sessions }' } },
  { method: 'post', path: '/sessions/revoke-others', summary: "Log out every session of the caller but this one (tokens refused, sockets closed on every node).", auth: 'user', response: { status: 200, description: '{ revoked }' } },
  { method: 'delete', path: '/sessions/:id', summary: 'Log out one of the caller\'s own sessions (its tokens are refused and its sockets closed everywhere).', auth: 'user', params: { id: z.uuid() }, response: { status: 204, description: 'logged out' } },
];
