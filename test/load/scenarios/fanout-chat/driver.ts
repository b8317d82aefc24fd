import { timed } from '../../lib/sessions.js';
import { ChatClients, connectPlan, preparePairly } from '../chat/clients.js';
import { childChannel } from '../../lib/child-channel.js';
import type { FromFanDriver, ToFanDriver } from './protocol.js';

/**
 * The chat clients of `npm run bench -- fanout-chat`, in a child process so
 * that they never share an event loop with the bench's seeding and polling.
 * Signs the pairs up once, connects once, then runs one paced chat loop per
 * `phase` message on the same sockets (ChatClients resets its counts per run).
 */

const { send, sendLast, next } = childChannel<ToFanDriver, FromFanDriver>('the fan-out chat driver');

async function main(): Promise<void> {
  const first = await next();
  if (first.type === 'exit') return;
  if (first.type !== 'prepare') throw new Error(`fan-out chat driver expected "prepare", got "${first.type}"`);
  const log = (message: string) => send({ type: 'log', message: `[chat] ${message}` });
  const { plan, setupMs } = await preparePairly([first.url], first.clients, { price: 0, role: 'fan' }, { concurrency: first.concurrency, log });
  const sockets = await timed(setupMs, 'connect', () => connectPlan(plan, first.concurrency));
  log(`${sockets.length} sockets connected in ${setupMs.connect} ms`);
  const clients = new ChatClients(plan, sockets, { timeoutMs: first.loop.timeoutMs, receipts: first.loop.receipts, bodyBytes: first.loop.bodyBytes });
  try {
    send({ type: 'prepared', setupMs });
    for (;;) {
      const m = await next();
      if (m.type === 'exit') return;
      if (m.type !== 'phase') throw new Error(`fan-out chat driver got "${m.type}" between phases`);
      const result = await clients.run(m.loop, {
        label: m.label,
        onProgress: (snapshot) => send({ type: 'progress', snapshot }),
        onMeasureStart: () => send({ type: 'measure-start' }),
        onMeasureEnd: () => send({ type: 'measure-end' }),
        onStall: (n) => log(`no send answered for 2 s with ${n} outstanding`),
      });
      send({ type: 'result', result });
    }
  } finally {
    await clients.close();
  }
}

main()
  .catch(async (err: unknown) => {
    process.exitCode = 1;
    await sendLast({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  })
  .finally(() => process.disconnect());
