import { Router, type Request } from 'express';
import { oidcCallbackQuery, oidcProviderParams, oidcSignupBody, oidcTicketBody, tokenBody } from '../../../../shared/auth.js';
import { clientInfo } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import { z } from 'zod';
import { FLOW_COOKIE, FLOW_COOKIE_PATH, type OidcService } from './oidc.js';

const providerParams = z.object(oidcProviderParams);

/** Sign in with Google / Apple; mounted beside the auth routes at /api/auth. */
export function oidcRoutes(oidc: OidcService, secureCookie: boolean): Router {
  const r = Router();
  const cookie = (value: string, maxAge: number) =>
    `${FLOW_COOKIE}=${value}; Path=${FLOW_COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`;
  r.get('/oidc/providers', (_req, res) => {
    res.json({ providers: oidc.offered() });
  });
  r.get('/oidc/:provider/start', async (req, res) => {
    const { url, cookie: flow } = await oidc.start(parse(providerParams, req.params).provider);
    res.setHeader('Set-Cookie', cookie(flow, 600)).setHeader('Cache-Control', 'no-store').redirect(302, url);
  });
  r.get('/oidc/:provider/callback', async (req, res) => {
    const { provider } = parse(providerParams, req.params);
    parse(oidcCallbackQuery, req.query);
    const to = await oidc.callback(provider, new URL(req.originalUrl, 'http://x').search, flowCookie(req), clientInfo(req));
    // The flow is over whatever came of it: its cookie goes.
    res.setHeader('Set-Cookie', cookie('', 0)).setHeader('Cache-Control', 'no-store').redirect(302, to);
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
  { method: 'post', path: '/oidc/exchange', summary: `The callback's login ticket (good once, 2 minutes) for a session; TWO_FACTOR_REQUIRED and ACCOUNT_SUSPENDED as login. ${TICKET_ERRORS}.`, auth: 'none', body: oidcTicketBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/oidc/signup', summary: `Makes the account a provider's verified address asked for (sign-up ticket, 30 minutes) with birthdate, name and role; AGE_RESTRICTED, EMAIL_TAKEN. ${TICKET_ERRORS}.`, auth: 'none', body: oidcSignupBody, response: { status: 200, description: 'user, accessToken, refreshToken' } },
  { method: 'post', path: '/oidc/link', summary: `The mailed link's token: links the provider to the account of that address (good once, 1 hour). LINK_INVALID also when the address changed since or the identity is another account's.`, auth: 'none', body: tokenBody, response: { status: 200, description: '{ linked: true, provider }' } },
];
