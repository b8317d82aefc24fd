import type { Server } from 'socket.io';
import { barePlan, ChatClients, connectPlan, preparePairly } from '../lib/chat-clients.js';
import { installChatRelay } from '../lib/chat-relay.js';
import type { Scenario } from '../lib/scenario.js';
import { timed } from '../lib/sessions.js';

/**
 * One-to-one chat: clients in pairs (client i talks to client i^1 in one
 * conversation; with several URLs the two sides sit on different nodes).
 * A request is one `chat:send` from client i, and it ends when the
 * RECIPIENT's `chat:message` arrives, so the latency is sender → recipient
 * through Pairly's whole send path (limits, the transaction that stores the
 * message, the push through the adapter); every recipient answers with a
 * `chat:delivered` receipt.
 *
 * This is the chat scenario in the generic loop (a closed loop per client,
 * `--rate` per client). The chat scripts proper — a total rate over all
 * clients, ack latency, lost messages, receipts, --priced, --nodes and the
 * bare relay on Redis — are test/load/lib/chat-bench.ts and chat-load.ts
 * (`npm run bench -- chat`, `npm run load -- chat`).
 */
export const scenario: Scenario = {
  name: 'chat',
  description: 'chat:send from one client of a pair to the other, timed until the recipient has it',

  async open(opts) {
    const clients = opts.clients - (opts.clients % 2);
    if (clients < 2) throw new Error('chat needs at least 2 clients (pairs)');
    if (clients !== opts.clients) opts.log(`using ${clients} clients: chat clients come in pairs`);
    const setupMs: Record<string, number> = {};
    let plan;
    if (opts.auth) {
      const prepared = await preparePairly(opts.urls, clients, { price: 0, role: 'fan' }, { concurrency: opts.setupConcurrency, log: opts.log });
      plan = prepared.plan;
      Object.assign(setupMs, prepared.setupMs);
    } else plan = barePlan(opts.urls, clients);
    const sockets = await timed(setupMs, 'connect', () => connectPlan(plan, opts.setupConcurrency));
    opts.log(`${sockets.length} sockets connected in ${setupMs.connect} ms`);
    const chat = new ChatClients(plan, sockets, { timeoutMs: opts.timeoutMs, receipts: true, bodyBytes: 64 });
    return {
      clients: chat.size,
      setupMs,
      request: (i) => chat.sendOne(i),
      close: () => chat.close(),
    };
  },

  bare(io: Server) {
    installChatRelay(io);
  },
};
