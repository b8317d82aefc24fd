import WebSocket from 'ws';

/**
 * A Socket.IO client that stops reading: a raw WebSocket that completes the
 * Engine.IO v4 / Socket.IO v5 handshake (open packet, namespace connect with
 * `auth`), then pauses its TCP socket and only writes. The server's replies
 * pile up in its kernel buffers and then in its own memory, which is what a
 * slow or hostile reader costs. socket.io-client cannot do this: it always
 * reads.
 */
export interface SlowReader {
  /** Why the connection ended (undefined while it is open). */
  readonly closed: Promise<string>;
  /** Sends one event with an ack id (the ack is never read). */
  emit(event: string, payload: unknown): void;
  close(): void;
}

export type Handshake = { ok: true; reader: SlowReader } | { ok: false; code: string };

export async function openSlowReader(baseUrl: string, token: string, timeoutMs = 10_000): Promise<Handshake> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
  let nextId = 0;
  const closed = new Promise<string>((resolve) => {
    ws.once('close', (code) => resolve(`close ${code}`));
    ws.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  const reader: SlowReader = {
    closed,
    emit(event, payload) {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(`42${nextId++}${JSON.stringify([event, payload])}`);
    },
    close: () => ws.terminate(),
  };
  return new Promise<Handshake>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('handshake timed out'));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    ws.once('error', fail);
    ws.on('message', function onMessage(raw) {
      const text = raw.toString();
      if (text.startsWith('0')) {
        ws.send(`40${JSON.stringify({ token })}`);
      } else if (text.startsWith('2')) {
        ws.send('3');
      } else if (text.startsWith('40')) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        ws.off('error', fail);
        // From here on nothing is read: not even pings (the server's ping timeout is 40 s).
        ws.pause();
        resolve({ ok: true, reader });
      } else if (text.startsWith('44')) {
        clearTimeout(timer);
        ws.terminate();
        let code = 'CONNECT_ERROR';
        try {
          code = (JSON.parse(text.slice(2)) as { data?: { code?: string } }).data?.code ?? code;
        } catch {
          /* keep the generic code */
        }
        resolve({ ok: false, code });
      }
    });
  });
}
