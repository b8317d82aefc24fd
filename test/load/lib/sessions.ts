import { connect, newUser, type ClientSocket } from '../../support/client.js';

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at once; results in index order. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) out[i] = await fn(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
  return out;
}

export interface ClientTarget {
  url: string;
  /** Absent against the bare baseline. */
  token?: string;
}

/**
 * Client i goes to urls[i % urls.length]. With `auth`, each client is a fresh
 * user made through the real POST /api/auth/signup of the node it will talk to.
 */
export async function clientTargets(
  urls: string[],
  n: number,
  opts: { auth: boolean; concurrency: number },
): Promise<ClientTarget[]> {
  const urlOf = (i: number) => urls[i % urls.length]!;
  if (!opts.auth) return Array.from({ length: n }, (_, i) => ({ url: urlOf(i) }));
  return pool(n, opts.concurrency, async (i) => {
    const user = await newUser(urlOf(i), { displayName: `Load ${i}` });
    return { url: urlOf(i), token: user.accessToken };
  });
}

/** Opens one websocket-only socket per target; any failure aborts set-up (and closes what was opened). */
export async function connectAll(targets: ClientTarget[], concurrency: number): Promise<ClientSocket[]> {
  const opened: ClientSocket[] = [];
  try {
    return await pool(targets.length, concurrency, async (i) => {
      const t = targets[i]!;
      const socket = await connect(t.url, t.token);
      opened.push(socket);
      return socket;
    });
  } catch (err) {
    for (const s of opened) s.close();
    throw err;
  }
}

/** Disconnects every socket and waits (bounded) for the transports to close. */
export async function closeAll(sockets: ClientSocket[], timeoutMs = 2000): Promise<void> {
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.connected) return resolve();
          const timer = setTimeout(resolve, timeoutMs);
          s.once('disconnect', () => {
            clearTimeout(timer);
            resolve();
          });
          s.close();
        }),
    ),
  );
}

export async function timed<T>(into: Record<string, number>, phase: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    into[phase] = Math.round(performance.now() - t0);
  }
}
