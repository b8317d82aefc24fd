import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import Provider from 'oidc-provider';
import { listenLocal } from './standin-http.js';

/**
 * A stand-in for Google's or Apple's OpenID provider: the certified
 * `oidc-provider` package on 127.0.0.1, with one client (the test's id,
 * secret and redirect URI) and accounts the test adds. Its sign-in pages
 * are oidc-provider's own development interactions (a login form that takes
 * any registered account id); consent is given by loadExistingGrant, as a
 * provider does for a client the user approved before.
 */
export interface OidcStandin {
  issuer: string;
  /** An account at the provider: `sub` is what it signs in as. */
  addAccount(sub: string, claims: { email?: string; email_verified?: boolean }): void;
  /**
   * A browser at the provider: opens `authorizationUrl`, signs in as `sub`
   * through the login form, and returns where the provider sends it back
   * (the client's redirect URI with code and state).
   */
  signIn(authorizationUrl: string, sub: string): Promise<URL>;
  /**
   * The same for a client that asked response_mode=form_post (as Apple answers): the provider's
   * self-submitting form, read as the browser would post it (its action and fields).
   */
  signInFormPost(authorizationUrl: string, sub: string): Promise<FormPost>;
  close(): Promise<void>;
}

export interface FormPost {
  action: URL;
  fields: Record<string, string>;
}

export async function startOidcStandin(client: { clientId: string; clientSecret: string; redirectUri: string }): Promise<OidcStandin> {
  const accounts = new Map<string, { email?: string; email_verified?: boolean }>();
  // The issuer names the port, which is known once listening: the provider is made then.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const { server, port } = await listenLocal(async (req, res) => handler!(req, res), (message) => ({ error: 'server_error', error_description: message }));
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [client.redirectUri], response_types: ['code'], grant_types: ['authorization_code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    findAccount: (_ctx, sub) => {
      const claims = accounts.get(sub);
      return claims ? { accountId: sub, claims: () => ({ sub, ...claims }) } : undefined;
    },
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
    // Google and Apple put the email claims in the ID token itself (Apple has no userinfo endpoint).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['oidc-standin-cookie-key'] },
  });
  handler = provider.callback();
  return {
    issuer,
    addAccount: (sub, claims) => void accounts.set(sub, claims),
    signIn: async (url, sub) => {
      const back = await browse(url, sub);
      if (!(back instanceof URL)) throw new Error('the provider answered with a form_post, not a redirect');
      return back;
    },
    signInFormPost: async (url, sub) => {
      const back = await browse(url, sub);
      if (back instanceof URL) throw new Error(`the provider redirected to ${back.origin}${back.pathname} instead of a form_post`);
      return back;
    },
    close: () => closeServer(server),
  };
}

/** Follows the provider's redirects by hand with a cookie jar, posting the login form when it is shown. */
async function browse(start: string, sub: string): Promise<URL | FormPost> {
  const jar = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return res;
  };
  let url = new URL(start);
  for (let hops = 0; hops < 10; hops++) {
    const res = await request(url.href);
    const location = res.headers.get('location');
    if (!location && res.status === 200) {
      const html = await res.text();
      const form = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html);
      if (form) {
        const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, decodeEntities(m[2]!)]));
        return { action: new URL(decodeEntities(form[1]!)), fields };
      }
      throw new Error(`the provider stopped at ${url.pathname}: 200 ${html.slice(0, 300)}`);
    }
    if (!location) throw new Error(`the provider stopped at ${url.pathname}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const next = new URL(location, url);
    if (next.origin !== url.origin) return next;
    if (next.pathname.startsWith('/interaction/')) {
      const form = await request(next.href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ prompt: 'login', login: sub, password: 'any' }).toString() });
      const after = form.headers.get('location');
      if (!after) throw new Error(`the login form answered ${form.status}: ${(await form.text()).slice(0, 300)}`);
      url = new URL(after, next);
    } else {
      url = next;
    }
  }
  throw new Error('the provider redirected too many times');
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|quot|#39|#x27|lt|gt);/g, (_m, e: string) => ({ amp: '&', quot: '"', '#39': "'", '#x27': "'", lt: '<', gt: '>' })[e]!);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on now (taken, then let go): for a provider that is down, or a node whose URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
