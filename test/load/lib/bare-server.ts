import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { localProbe } from './probe.js';
import type { FromBare, ToBare } from './ipc.js';
import { loadScenario } from './scenario.js';

/**
 * The baseline bench compares Pairly with: a plain socket.io Server in its
 * own process (no auth, no zod, no rate limit, no adapter) with the
 * scenario's `bare` handlers. `node --import tsx test/load/lib/bare-server.ts <scenario>`.
 */

if (!process.send) {
  console.error('bare-server.ts is started by test/load/bench.ts with an IPC channel');
  process.exit(2);
}
const send = (m: FromBare) => process.send!(m);

async function main(): Promise<void> {
  const scenario = await loadScenario(process.argv[2] ?? '');
  if (!scenario.bare) throw new Error(`scenario "${scenario.name}" has no bare baseline`);
  const probe = localProbe();
  const http = createServer();
  // Same path and payload limit as Pairly; nothing else configured.
  const io = new Server(http, { path: '/socket.io', maxHttpBufferSize: 64_000 });
  scenario.bare(io);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  const stop = () => {
    probe.stop();
    io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('disconnect', stop);
  process.on('message', (m: ToBare) => {
    if (m.type === 'probe') send({ type: 'probe', sample: probe.sample() });
    else if (m.type === 'reset-peak') probe.resetPeak();
    else stop();
  });
  send({ type: 'listening', port: (http.address() as AddressInfo).port });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
