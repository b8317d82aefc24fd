import type { Server } from 'socket.io';
import { LoadError, loopScenario, type RequestLoop } from '../../lib/scenario.js';
import { clientTargets, closeAll, connectAll, timed } from '../../lib/sessions.js';

/**
 * `system:ping` with an ack: the whole per-event path of Pairly (per-socket
 * rate limit, zod validation, handler, metrics, ack) with a trivial handler,
 * so what is measured is the path itself. Authentication happens once, at the
 * handshake, and is in the set-up, not in the loop.
 */
const loop: RequestLoop = {
  async open(opts) {
    const setupMs: Record<string, number> = {};
    const makeTargets = () => clientTargets(opts.urls, opts.clients, { auth: opts.auth, concurrency: opts.setupConcurrency });
    // Only sign-ups take time worth reporting; anonymous targets are just URLs.
    const targets = opts.auth ? await timed(setupMs, 'signup', makeTargets) : await makeTargets();
    opts.log(opts.auth ? `${targets.length} users signed up in ${setupMs.signup} ms` : `${targets.length} anonymous clients`);
    const sockets = await timed(setupMs, 'connect', () => connectAll(targets, opts.setupConcurrency));
    opts.log(`${sockets.length} sockets connected in ${setupMs.connect} ms`);

    return {
      clients: sockets.length,
      setupMs,
      async request(i) {
        const socket = sockets[i]!;
        if (!socket.connected) throw new LoadError('DISCONNECTED', 'socket is not connected', true);
        let res;
        try {
          res = await socket.timeout(opts.timeoutMs).emitWithAck('system:ping', { sentAt: Date.now() });
        } catch {
          // emitWithAck rejects only on timeout; a socket that dropped meanwhile is reported as such.
          if (!socket.connected) throw new LoadError('DISCONNECTED', 'socket disconnected', true);
          throw new LoadError('TIMEOUT', `no ack within ${opts.timeoutMs} ms`);
        }
        if (!res.ok) throw new LoadError(res.error.code, res.error.message);
      },
      close: () => closeAll(sockets),
    };
  },

  bare(io: Server) {
    io.on('connection', (socket) => {
      // Same ack shape as Pairly's, so both sides serialise the same amount.
      socket.on('system:ping', (payload: { sentAt?: number } | undefined, ack: unknown) => {
        if (typeof ack !== 'function') return;
        ack({ ok: true, nodeId: 'bare', serverTime: Date.now(), ...(payload?.sentAt !== undefined ? { sentAt: payload.sentAt } : {}) });
      });
    });
  },
};

export const scenario = loopScenario({
  name: 'ping',
  description: 'system:ping with ack per request: the Socket.IO event path (bench: beside a bare socket.io server)',
  loop,
});
