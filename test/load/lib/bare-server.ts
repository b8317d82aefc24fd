import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { localProbe } from './probe.js';
import { serveParent, type FromBare } from './ipc.js';
import { loadLoop } from './scenario.js';

/**
 * The baseline bench compares Pairly with: a plain socket.io Server in its
 * own process (no auth, no zod, no rate limit, no adapter) with the
 * scenario's `bare` handlers. `node --import tsx test/load/lib/bare-server.ts <scenario>`.
 */

if (!process.send) {
  console.error('bare-server.ts is started by test/load/lib/loop-bench.ts with an IPC channel');
  process.exit(2);
}
const send = (m: FromBare) => process.send!(m);

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const loop = await loadLoop(name);
  if (!loop.bare) throw new Error(`scenario "${name}" has no bare baseline`);
  const probe = localProbe();
  const http = createServer();
  // Same path and payload limit as Pairly; nothing else configured.
  const io = new Server(http, { path: '/socket.io', maxHttpBufferSize: 64_000 });
  loop.bare(io);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  serveParent((http.address() as AddressInfo).port, probe, () => {
    probe.stop();
    io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
