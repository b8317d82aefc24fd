import { Router } from 'express';
import { emailChangeBody, passwordChangeBody, passwordResetBody, passwordResetRequestBody, tokenBody } from '../../../../shared/auth.js';
import { clientInfo, principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { AccountsService } from './accounts.service.js';

/** The mailbox side of an account; mounted beside the auth routes at /api/auth. */
export function accountsRoutes(accounts: AccountsService, guards: Guards): Router {
  const r = Router();
  r.post('/verify-email', async (req, res) => {
    res.json(await accounts.verifyEmail(parse(tokenBody, req.body).token));
  });
  r.post('/verify-email/resend', guards.authed, async (_req, res) => {
    res.status(202).json(await accounts.resendVerification(principalOf(res)));
  });
  r.post('/password/forgot', async (req, res) => {
    res.status(202).json(await accounts.requestPasswordReset(parse(passwordResetRequestBody, req.body).email, clientInfo(req)));
  });
  r.post('/password/reset', async (req, res) => {
    const { token, password } = parse(passwordResetBody, req.body);
    await accounts.resetPassword(token, password, clientInfo(req));
    res.status(204).end();
  });
  r.post('/password/change', guards.authed, async (req, res) => {
    const { currentPassword, newPassword } = parse(passwordChangeBody, req.body);
    res.json(await accounts.changePassword(principalOf(res), currentPassword, newPassword, clientInfo(req)));
  });
  r.post('/email/change', guards.authed, async (req, res) => {
    const { newEmail, password } = parse(emailChangeBody, req.body);
    res.status(202).json(await accounts.requestEmailChange(principalOf(res), newEmail, password, clientInfo(req)));
  });
  r.post('/email/confirm', async (req, res) => {
    res.json(await accounts.confirmEmailChange(parse(tokenBody, req.body).token, clientInfo(req)));
  });
  r.post('/email/cancel', async (req, res) => {
    await accounts.cancelEmailChange(parse(tokenBody, req.body).token);
    res.status(204).end();
  });
  return r;
}

const LINK_ERRORS = 'LINK_INVALID (unknown, mistyped or for another purpose), LINK_USED, LINK_EXPIRED';

/** Mounted at /api/auth. */
export const accountsRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/verify-email', summary: `Verifies the address with the token of a mailed link. ${LINK_ERRORS}.`, auth: 'none', body: tokenBody, response: { status: 200, description: '{ verified: true }' } },
  { method: 'post', path: '/verify-email/resend', summary: "Mails a new verification link to the caller's address (nothing when it is verified already).", auth: 'user', response: { status: 202, description: '{ accepted: true }' } },
  { method: 'post', path: '/password/forgot', summary: 'Mails a reset link when an account has this address; the same answer and the same work when none has.', auth: 'none', body: passwordResetRequestBody, response: { status: 202, description: '{ accepted: true }' } },
  { method: 'post', path: '/password/reset', summary: `Sets a new password with a reset link's token; every session of the account is logged out. WEAK_PASSWORD leaves the link usable. ${LINK_ERRORS}.`, auth: 'none', body: passwordResetBody, response: { status: 204, description: 'password set' } },
  { method: 'post', path: '/password/change', summary: "Changes the caller's password (the current one required); every other session is logged out.", auth: 'user', body: passwordChangeBody, response: { status: 200, description: '{ sessionsEnded }' } },
  { method: 'post', path: '/email/change', summary: 'Asks to move the account to a new address (password required): a link to each address; the change happens once both confirmed.', auth: 'user', body: emailChangeBody, response: { status: 202, description: '{ accepted: true }' } },
  { method: 'post', path: '/email/confirm', summary: `One address confirms a change of address; the second confirmation makes it. ${LINK_ERRORS}; EMAIL_TAKEN when another account took the address meanwhile.`, auth: 'none', body: tokenBody, response: { status: 200, description: "{ state: 'waiting_for_other_address' | 'changed' }" } },
  { method: 'post', path: '/email/cancel', summary: `The current address refuses a change of address (its own link's token). ${LINK_ERRORS}.`, auth: 'none', body: tokenBody, response: { status: 204, description: 'cancelled' } },
];
