import { Router } from 'express';
import { z } from 'zod';
import { tokenBody } from '../../../../shared/auth.js';
import { rejectHeldPaymentBody, releaseHeldLoginBody, riskLoginsQuery, riskPaymentsQuery } from '../../../../shared/risk.js';
import { clientInfo, principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { RiskService } from './risk.service.js';

const paymentId = z.uuid();
const loginId = z.uuid();

/** The mailed link of a login step-up: no session yet, so no guard. Mounted at /api/risk. */
export function riskRoutes(service: RiskService): Router {
  const r = Router();
  r.post('/logins/confirm', async (req, res) => {
    res.json(await service.confirmLogin(parse(tokenBody, req.body).token, clientInfo(req)));
  });
  return r;
}

/** Admin-only: flagged sign-ins and payments, and the decision on a held payment. Mounted at /api/admin/risk. */
export function adminRiskRoutes(guards: Guards, service: RiskService): Router {
  const r = Router();
  r.use(guards.requireRole('admin'));
  r.get('/logins', async (req, res) => {
    res.json({ logins: await service.flaggedLogins(parse(riskLoginsQuery, req.query)) });
  });
  r.post('/logins/:loginId/release', async (req, res) => {
    const id = parse(loginId, req.params.loginId);
    const { note } = parse(releaseHeldLoginBody, req.body);
    res.json({ login: await service.releaseLogin(principalOf(res).userId, id, note, clientInfo(req).ip) });
  });
  r.get('/payments', async (req, res) => {
    res.json({ payments: await service.flaggedPayments(parse(riskPaymentsQuery, req.query)) });
  });
  r.post('/payments/:paymentId/approve', async (req, res) => {
    const id = parse(paymentId, req.params.paymentId);
    res.json({ payment: await service.decidePayment(principalOf(res).userId, id, 'approved', null, clientInfo(req).ip) });
  });
  r.post('/payments/:paymentId/reject', async (req, res) => {
    const id = parse(paymentId, req.params.paymentId);
    const { reason } = parse(rejectHeldPaymentBody, req.body);
    res.json({ payment: await service.decidePayment(principalOf(res).userId, id, 'rejected', reason, clientInfo(req).ip) });
  });
  return r;
}

/** Mounted at /api/risk. */
export const riskRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/logins/confirm',
    summary: 'The link mailed when a sign-in answered LOGIN_CONFIRMATION_REQUIRED: confirms it, so the same sign-in again (same device and address) goes through once.',
    auth: 'none',
    body: tokenBody,
    response: { status: 200, description: '{ confirmed: true }' },
  },
];

/** Mounted at /api/admin/risk. */
export const adminRiskRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/logins', summary: 'Sign-ins that scored above zero, with their reasons and outcome, newest first.', auth: 'admin', query: riskLoginsQuery, response: { status: 200, description: '{ logins }' } },
  {
    method: 'post',
    path: '/logins/:loginId/release',
    summary: 'Release a held sign-in after review: the same sign-in again (same device and address) goes through once, within the confirmation time; the owner is mailed (audited). RISK_ALREADY_DECIDED when not held or released already.',
    auth: 'admin',
    params: { loginId },
    body: releaseHeldLoginBody,
    response: { status: 200, description: '{ login }' },
  },
  { method: 'get', path: '/payments', summary: 'Assessed checkouts that scored above zero, of one decision (held by default), newest first.', auth: 'admin', query: riskPaymentsQuery, response: { status: 200, description: '{ payments }' } },
  { method: 'post', path: '/payments/:paymentId/approve', summary: 'Approve a held payment: its credits are granted once it is (or when it gets) captured (audited).', auth: 'admin', params: { paymentId }, response: { status: 200, description: '{ payment }' } },
  {
    method: 'post',
    path: '/payments/:paymentId/reject',
    summary: 'Reject a held payment: its credits are never granted; a captured one is marked rejected, for a refund at the provider (audited).',
    auth: 'admin',
    params: { paymentId },
    body: rejectHeldPaymentBody,
    response: { status: 200, description: '{ payment }' },
  },
];
