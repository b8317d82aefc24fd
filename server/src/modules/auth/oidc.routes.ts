import express, { Router, type Request } from 'express';
import { oidcCallbackForm, oidcCallbackQuery, oidcProviderParams, oidcSignupBody, oidcTicketBody, tokenBody } from '../../../../shared/auth.js';
import { clientInfo, principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import { z } from 'zod';
import { FLOW_COOKIE, FLOW_COOKIE_PATH, FORM_POST, type OidcProviderName, type OidcService } from './oidc.js';

const providerParams = z.object(oidcProviderParams);

/**
 * The flow cookie. Lax for a provider that redirects back (a top-level GET carries it); a form_post
 * provider's answer is a cross-site POST, which carries only a SameSite=None cookie, and browsers take
 * those only when Secure (http://localhost counts as secure to them).
 */
function flowCookieHeader(provider: OidcProviderName, value: string, maxAge: number, secureCookie: boolean): string {
  const site = FORM_POST.has(provider) ? 'SameSite=None; Secure' : `SameSite=Lax${secureCookie ? '; Secure' : ''}`;
  return `${FLOW_COOKIE}=${value}; Path=${FLOW_COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; ${site}`;
}

/** Sign in with Google / Apple; mounted beside the auth routes at /api/auth. */
export function oidcRoutes(oidc: OidcService, secureCookie: boolean, guards: Guards): Router {
  const r = Router();
  r.get('/identities', guards.authed, async (_req, res) => {
    res.json(await oidc.identities(principalOf(res).userId));
  });
  r.delete('/identities/:provider', guards.authed, async (req, res) => {
    res.json(await oidc.unlink(principalOf(res).userId, parse(providerParams, req.params).provider, req.ip ?? null));
  });
  r.get('/oidc/providers', (_req, res) => {
    res.json({ providers: oidc.offered() });
  });
  r.get('/oidc/:provider/start', async (req, res) => {
    const { provider } = parse(providerParams, req.params);
    const { url, cookie: flow } = await oidc.start(provider);
    res.setHeader('Set-Cookie', flowCookieHeader(provider, flow, 600, secureCookie)).setHeader('Cache-Control', 'no-store').redirect(302, url);
  });
  r.get('/oidc/:provider/callback', async (req, res) => {
    const { provider } = parse(providerParams, req.params);
    parse(oidcCallbackQuery, req.query);
    const to = await oidc.callback(provider, new URL(req.originalUrl, 'http://x').search, flowCookie(req), clientInfo(req));
    // The flow is over whatever came of it: its cookie goes.
    res.setHeader('Set-Cookie', flowCookieHeader(provider, '', 0, secureCookie)).setHeader('Cache-Control', 'no-store').redirect(302, to);
  });
  r.post('/oidc/exchange', async (req, res) => {
    res.json(await oidc.exchange(parse(oidcTicketBody, req.body).ticket, clientInfo(req)));
  });
  r.post('/oidc/signup', async (req, res) => {
    res.json(await oidc.signup(parse(oidcSignupBody, req.body), clientInfo(req)));
  });
  r.post('/oidc/link', async (req, res) => {
    res.json(await oidc.confirmLink(parse(tokenBody, req.body).token, clientInfo(req)));
  });
  return r;
}

/**
 * Apple's form_post answer: a form POST to the same callback, outside /api's JSON-only parser (mounted as a
 * public route at /api/auth/oidc). 303: the browser follows with a GET to the web app.
 */
export function oidcFormPostRoutes(oidc: OidcService, secureCookie: boolean): Router {
  const r = Router();
  r.post('/:provider/callback', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), async (req, res) => {
    const { provider } = parse(providerParams, req.params);
    const form = parse(oidcCallbackForm, req.body ?? {});
    const answer = new URLSearchParams();
    for (const k of ['code', 'state', 'iss', 'error', 'error_description'] as const) if (form[k] !== undefined) answer.set(k, form[k]);
    const to = await oidc.callback(provider, `?${answer}`, flowCookie(req), clientInfo(req), 'form_post');
    res.setHeader('Set-Cookie', flowCookieHeader(provider, '', 0, secureCookie)).setHeader('Cache-Control', 'no-store').redirect(303, to);
  });
  return r;
}

function flowCookie(req: Request): string | undefined {
  const pair = req.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${FLOW_COOKIE}=`));
  return pair?.slice(FLOW_COOKIE.length + 1);
}

const TICKET_ERRORS = 'LINK_INVALID, LINK_USED, LINK_EXPIRED for the ticket';

/** Mounted at /api/auth. */
export const oidcRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/oidc/providers', summary: 'The OpenID providers offered for sign-in (those configured).', auth: 'none', response: { status: 200, description: '{ providers: [{ name, label }] }' } },
  { method: 'get', path: '/oidc/:provider/start', summary: "Redirects the browser to the provider's sign-in (code flow, PKCE, state, nonce; a signed flow cookie). OIDC_PROVIDER_UNKNOWN, OIDC_PROVIDER_UNAVAILABLE.", auth: 'none', params: oidcProviderParams, response: { status: 302, description: "to the provider's authorization endpoint" } },
  {
    method: 'get',
    path: '/oidc/:provider/callback',
    summary: 'The provider sends the browser back here; it is redirected to the web app /oidc/callback with #login=<ticket>, #signup=<ticket>&email=, #linkMailed=<email> or #error=<code> (OIDC_STATE_INVALID, OIDC_CODE_REJECTED, OIDC_PROVIDER_UNAVAILABLE, OIDC_EMAIL_UNVERIFIED).',
    auth: 'none',
    params: oidcProviderParams,
    query: oidcCallbackQuery,
    response: { status: 302, description: 'to the web app, the outcome in the URL fragment' },
  },
  {
    method: 'post',
    path: '/oidc/:provider/callback',
    summary: "A form_post provider's answer (Apple): the same fields as the GET callback's query, as a form (application/x-www-form-urlencoded), plus Apple's `user`; the same outcomes in the web app's fragment. A provider that answers by redirect is OIDC_STATE_INVALID here.",
    auth: 'none',
    params: oidcProviderParams,
    body: oidcCallbackForm,
    response: { status: 303, description: 'to the web app, the outcome in the URL fragment' },
  },
  { method: 'get', path: '/identities', summary: "The caller's linked sign-ins (Google, Apple) and whether the account has a password.", auth: 'user', response: { status: 200, description: '{ identities: [{ provider, email, linkedAt }], hasPassword }' } },
  {
    method: 'delete',
    path: '/identities/:provider',
    summary: 'Unlink a provider from the caller\'s account; LAST_SIGN_IN_METHOD when it is the only way in (no password, no other identity), NOT_FOUND when not linked.',
    auth: 'user',
    params: oidcProviderParams,
    response: { status: 200, description: '{ identities, hasPassword } after the unlink' },
  },
  { method: 'post', path: '/oidc/exchange', summary: `The callback's login ticket (good once, 2 minutes) for a session; TWO_FACTOR_REQUIRED and ACCOUNT_SUSPENDED as login. ${TICKET_ERRORS}.`, auth: 'none', body: oidcTicketBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/oidc/signup', summary: `Makes the account a provider's verified address asked for (sign-up ticket, 30 minutes) with birthdate, name and role; AGE_RESTRICTED, EMAIL_TAKEN. ${TICKET_ERRORS}.`, auth: 'none', body: oidcSignupBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/oidc/link', summary: `The mailed link's token: links the provider to the account of that address (good once, 1 hour). LINK_INVALID also when the address changed since or the identity is another account's.`, auth: 'none', body: tokenBody, response: { status: 200, description: '{ linked: true, provider }' } },
];
