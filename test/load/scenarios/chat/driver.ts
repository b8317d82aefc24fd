import { setTimeout as sleep } from 'node:timers/promises';
import { timed } from '../../lib/sessions.js';
import { barePlan, ChatClients, connectPlan, preparePairly } from './clients.js';
import { childChannel } from '../../lib/child-channel.js';
import type { ChatPlan, FromChatDriver, ToChatDriver } from './protocol.js';

/**
 * The chat load generator as a child of the chat bench (bench.ts; `node
 * --import tsx test/load/scenarios/chat/driver.ts`, IPC channel), so that the clients never
 * share an event loop with a server they measure. It prepares the Pairly
 * users once (sign-ups, conversations, prices; funding is asked of the
 * parent, which holds Pairly's ledger), then runs one round per `round`
 * message against whatever target the parent names: connect, settle,
 * measure, report, disconnect.
 */

const { send, sendLast, next, expect } = childChannel<ToChatDriver, FromChatDriver>('the chat driver');

async function main(): Promise<void> {
  let pairly: ChatPlan | undefined;
  for (;;) {
    const m = await next();
    if (m.type === 'exit') return;
    if (m.type === 'prepare') {
      const { plan, setupMs } = await preparePairly(m.urls, m.clients, { price: m.price, role: m.role }, {
        concurrency: m.concurrency,
        log: (message) => send({ type: 'log', message: `[chat pairly] ${message}` }),
        fund: async (userIds) => {
          send({ type: 'fund', userIds });
          await expect('funded');
        },
      });
      pairly = plan;
      send({ type: 'prepared', setupMs });
      continue;
    }
    if (m.type !== 'round') throw new Error(`chat driver got "${m.type}" between rounds`);

    const log = (message: string) => send({ type: 'log', message: `[${m.label}] ${message}` });
    const plan = m.auth ? pairly : barePlan(m.urls, m.clients);
    if (!plan) throw new Error('a Pairly round before prepare');
    const setupMs: Record<string, number> = {};
    const sockets = await timed(setupMs, 'connect', () => connectPlan(plan, m.concurrency));
    const clients = new ChatClients(plan, sockets, { timeoutMs: m.loop.timeoutMs, receipts: m.loop.receipts, bodyBytes: m.loop.bodyBytes });
    try {
      log(`${sockets.length} sockets connected in ${setupMs.connect} ms; settling ${m.settleS}s`);
      await sleep(m.settleS * 1000);
      send({ type: 'ready', setupMs });
      await expect('go');
      const result = await clients.run(m.loop, {
        label: m.label,
        onProgress: (snapshot) => send({ type: 'progress', snapshot }),
        onMeasureStart: () => send({ type: 'measure-start' }),
        onMeasureEnd: () => send({ type: 'measure-end' }),
        onStall: (n) => log(`no send answered for 2 s with ${n} outstanding: the target has stalled${m.auth ? `; nothing is answered: check the nodes' logs and /readyz` : ''}`),
      });
      send({ type: 'result', result });
      await expect('close-round');
    } finally {
      await clients.close();
    }
    send({ type: 'round-closed' });
  }
}

main()
  .catch(async (err: unknown) => {
    process.exitCode = 1;
    await sendLast({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  })
  .finally(() => process.disconnect());
