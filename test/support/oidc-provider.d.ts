/** The few parts of oidc-provider (no types of its own) the OpenID stand-in uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Grant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  interface Context {
    oidc: {
      provider: Provider;
      client?: { clientId: string };
      session?: { accountId?: string };
    };
  }
  interface Account {
    accountId: string;
    claims(): Record<string, unknown>;
  }
  interface Configuration {
    clients: { client_id: string; client_secret: string; redirect_uris: string[]; response_types: string[]; grant_types: string[] }[];
    claims: Record<string, string[]>;
    findAccount(ctx: Context, sub: string): Account | undefined | Promise<Account | undefined>;
    loadExistingGrant(ctx: Context): Promise<Grant | undefined>;
    conformIdTokenClaims: boolean;
    features: { devInteractions: { enabled: boolean } };
    cookies: { keys: string[] };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    Grant: new (o: { clientId: string; accountId: string }) => Grant;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
