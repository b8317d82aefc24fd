import { createHmac } from 'node:crypto';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * Time-limited TURN credentials in coturn's REST scheme (`use-auth-secret`,
 * `static-auth-secret`): the username is "<expiry unix>:<user id>", the
 * password base64(HMAC-SHA1(secret, username)). coturn checks both itself,
 * so nothing is stored and a leaked credential dies at its expiry.
 */
export function turnCredentials(opts: { urls: string[]; secret: string; ttlSeconds: number }, userId: string, now = Date.now()): IceServer {
  const username = `${Math.floor(now / 1000) + opts.ttlSeconds}:${userId}`;
  const credential = createHmac('sha1', opts.secret).update(username).digest('base64');
  return { urls: opts.urls, username, credential };
}
