import type { ClientSocket } from '../../../support/client.js';

/**
 * The two socket moves of call signaling, for the signaling loop and the
 * media bench's Pairly driver alike: wait for the next matching push, and
 * emit with an ack that throws on `{ ok: false }`. Both fail with the
 * caller's error type (`fatal`: the socket is gone).
 */
export function callSignals(timeoutMs: number, error: (code: string, message: string, fatal?: boolean) => Error) {
  const once = <T>(s: ClientSocket, event: string, match: (p: any) => boolean): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        s.off(event as any, handler);
        reject(error('TIMEOUT', `no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const handler = (p: any) => {
        if (!match(p)) return;
        clearTimeout(timer);
        s.off(event as any, handler);
        resolve(p as T);
      };
      s.on(event as any, handler);
    });
  const ack = async (s: ClientSocket, event: string, payload: unknown): Promise<any> => {
    if (!s.connected) throw error('DISCONNECTED', 'socket is not connected', true);
    let res: any;
    try {
      res = await (s as any).timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw error('TIMEOUT', `no ack for ${event} within ${timeoutMs} ms`);
    }
    if (!res.ok) throw error(res.error.code, `${event}: ${res.error.message}`);
    return res;
  };
  return { once, ack };
}

/** The user id (`sub`) of an access token. */
export const userIdOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sub as string;
