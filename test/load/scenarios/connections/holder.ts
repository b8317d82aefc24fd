import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { AccessTokens } from '../../../../server/src/modules/auth/tokens.js';
import { pool } from '../../lib/sessions.js';
import type { FromHolder, HolderCounts, ToHolder } from './protocol.js';

/**
 * One client process of the connections bench: opens its share of the
 * sockets (websocket only, one engine each, as separate devices would),
 * keeps them idle and, once armed, reconnects every socket the server drops
 * straight away; a failed attempt is counted and retried after 250–750 ms.
 * `node --import tsx holder.ts`, driven over IPC by bench.ts.
 *
 * Tokens are minted here with the node's JWT secret for fresh user and
 * session ids, the way a sign-up would issue them: the handshake verifies
 * the signature and asks the revocation cache, which is all it does for
 * any token. (The users have no rows: presence's audience look-ups find
 * nobody, so nothing is pushed to anyone, which an idle crowd also does.)
 */

if (!process.send) {
  console.error('holder.ts is started by test/load/scenarios/connections/bench.ts with an IPC channel');
  process.exit(2);
}
const send = (m: FromHolder) => process.send!(m);

const sockets: Socket[] = [];
let armed = false;
const counts: HolderCounts = { connected: 0, connects: 0, errors: {}, drops: 0, firstDropAt: 0, lastConnectAt: 0 };
const progress = setInterval(() => send({ type: 'progress', counts }), 500);
progress.unref();

function codeOf(err: Error & { data?: { code?: string } }): string {
  return err.data?.code ?? err.message.slice(0, 40);
}

function open(url: string, auth: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = io(url, {
      path: '/socket.io',
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 20_000,
      auth,
    });
    let first = true;
    s.on('connect', () => {
      counts.connected++;
      counts.connects++;
      if (armed) counts.lastConnectAt = Date.now();
      if (first) {
        first = false;
        sockets.push(s);
        resolve();
      }
    });
    s.on('connect_error', (err) => {
      counts.errors[codeOf(err)] = (counts.errors[codeOf(err)] ?? 0) + 1;
      if (first) {
        s.close();
        return reject(err);
      }
      if (armed) setTimeout(() => s.connect(), 250 + Math.random() * 500).unref();
    });
    s.on('disconnect', (reason) => {
      counts.connected--;
      if (!armed || reason === 'io client disconnect') return;
      counts.drops++;
      counts.firstDropAt ||= Date.now();
      s.connect();
    });
  });
}

process.on('message', (m: ToHolder) => {
  const run = async () => {
    switch (m.type) {
      case 'open': {
        const tokens = m.auth.kind === 'jwt' ? new AccessTokens(m.auth.jwtSecret, m.auth.ttlSeconds) : undefined;
        Object.assign(counts, { connects: 0, errors: {}, drops: 0, firstDropAt: 0, lastConnectAt: 0 });
        const t0 = performance.now();
        await pool(m.sockets, m.concurrency, async () => {
          const auth: Record<string, string> = tokens
            ? { token: tokens.issue({ userId: randomUUID(), sessionId: randomUUID(), role: 'fan' }) }
            : { user: randomUUID(), peer: randomUUID() };
          await open(m.url, auth);
        });
        return send({ type: 'opened', counts, ms: Math.round(performance.now() - t0) });
      }
      case 'arm':
        armed = true;
        Object.assign(counts, { connects: 0, errors: {}, drops: 0, firstDropAt: 0, lastConnectAt: 0 });
        return;
      case 'close':
        armed = false;
        for (const s of sockets.splice(0)) s.close();
        counts.connected = 0;
        return send({ type: 'closed' });
      case 'exit':
        process.exit(0);
    }
  };
  run().catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
process.on('disconnect', () => process.exit(0));
