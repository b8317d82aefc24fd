import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** HTTP plumbing shared by the provider stand-ins (stripe-standin.ts, razorpay-standin.ts). */

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Serves `handle` on 127.0.0.1 (a free port). A handler that throws answers
 * 500 with the provider's own error shape, built by `errorBody`.
 */
export async function listenLocal(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  errorBody: (message: string) => unknown,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody(`stand-in failure: ${(err as Error).message}`)));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A provider that hangs: while on, API requests are accepted and held with
 * no answer (as a provider whose backend stalls); switched off, the held ones
 * carry on and are answered late, by which time their callers may have gone.
 */
export function createHang(): { set(on: boolean): void; held(): number; wait(): Promise<void> } {
  let gate: { promise: Promise<void>; release(): void } | undefined;
  let held = 0;
  return {
    set(on) {
      if (on && !gate) {
        let release = () => {};
        const promise = new Promise<void>((r) => (release = r));
        gate = { promise, release };
      } else if (!on && gate) {
        gate.release();
        gate = undefined;
      }
    },
    held: () => held,
    async wait() {
      if (!gate) return;
      held++;
      try {
        await gate.promise;
      } finally {
        held--;
      }
    },
  };
}
