import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/**
 * A minimal client of Janus's WebSocket API (subprotocol `janus-protocol`),
 * what janus.js does in a browser: one session per participant, one handle
 * per PeerConnection, asynchronous plugin requests answered `ack` first and
 * by an `event` with the same transaction later, keepalives every 25 s
 * (Janus's session_timeout is 60 s). Events that answer no transaction
 * (`webrtcup`, `hangup`, plugin events such as new publishers or a destroyed
 * room, trickled candidates) go to the handle's listener.
 */

export type Json = Record<string, unknown>;

export interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  data?: { id?: number };
  plugindata?: { plugin?: string; data?: Json };
  jsep?: { type: string; sdp: string };
  candidate?: { candidate?: string; sdpMid?: string; sdpMLineIndex?: number; completed?: boolean };
  error?: { code: number; reason: string };
  reason?: string;
}

export class JanusRequestError extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'JanusRequestError';
  }
}

interface Pending {
  resolve(m: JanusMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  /** Resolve on `ack` (keepalive, trickle) rather than on the final reply. */
  ackIsFinal: boolean;
}

const KEEPALIVE_MS = 25_000;

export class JanusSession {
  private readonly pending = new Map<string, Pending>();
  private readonly handles = new Map<number, (m: JanusMessage) => void>();
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;
  private sessionId = 0;

  private constructor(
    private readonly ws: WebSocket,
    private readonly timeoutMs: number,
  ) {
    ws.on('message', (raw) => this.dispatch(raw.toString()));
    ws.on('close', () => this.fail(new Error('Janus WebSocket closed')));
    ws.on('error', (err) => this.fail(err));
  }

  /** Opens the WebSocket and creates a Janus session on it. */
  static async open(url: string, timeoutMs = 10_000): Promise<JanusSession> {
    const ws = new WebSocket(url, 'janus-protocol', { handshakeTimeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const session = new JanusSession(ws, timeoutMs);
    const created = await session.send({ janus: 'create' });
    session.sessionId = created.data?.id ?? 0;
    session.keepalive = setInterval(() => {
      session.send({ janus: 'keepalive' }, true).catch(() => undefined);
    }, KEEPALIVE_MS);
    session.keepalive.unref();
    return session;
  }

  /** Attaches a VideoRoom handle; `onEvent` gets its unsolicited events. */
  async attach(onEvent: (m: JanusMessage) => void): Promise<JanusHandle> {
    const r = await this.send({ janus: 'attach', plugin: 'janus.plugin.videoroom' });
    const id = r.data?.id ?? 0;
    this.handles.set(id, onEvent);
    return new JanusHandle(this, id);
  }

  /** @internal */
  send(message: Json, ackIsFinal = false): Promise<JanusMessage> {
    if (this.closed) return Promise.reject(new Error('Janus session is closed'));
    const transaction = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusRequestError(undefined, `no Janus reply to ${String(message.janus)} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(transaction, { resolve, reject, timer, ackIsFinal });
      const body = { ...message, transaction, ...(this.sessionId ? { session_id: this.sessionId } : {}) };
      this.ws.send(JSON.stringify(body), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(transaction);
        reject(err);
      });
    });
  }

  private dispatch(text: string): void {
    let m: JanusMessage;
    try {
      m = JSON.parse(text) as JanusMessage;
    } catch {
      return;
    }
    const p = m.transaction ? this.pending.get(m.transaction) : undefined;
    if (p) {
      if (m.janus === 'ack' && !p.ackIsFinal) return; // the result follows as an event
      clearTimeout(p.timer);
      this.pending.delete(m.transaction!);
      if (m.janus === 'error') p.reject(new JanusRequestError(m.error?.code, `Janus error ${m.error?.code}: ${m.error?.reason}`));
      else p.resolve(m);
      return;
    }
    if (m.sender !== undefined) this.handles.get(m.sender)?.(m);
  }

  private fail(err: Error): void {
    for (const [t, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(t);
    }
  }

  /** Destroys the session (Janus detaches its handles and hangs up their PeerConnections) and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.keepalive);
    await this.send({ janus: 'destroy' }).catch(() => undefined);
    this.closed = true;
    this.fail(new Error('Janus session closed'));
    this.ws.close();
  }
}

export class JanusHandle {
  constructor(
    private readonly session: JanusSession,
    readonly id: number,
  ) {}

  /**
   * A VideoRoom request; resolves with the plugin data of its reply (the
   * `success` of a synchronous request or the `event` of an asynchronous
   * one) and the JSEP Janus attached. A VideoRoom `error_code` rejects.
   */
  async request(body: Json, jsep?: { type: string; sdp: string; trickle?: boolean }): Promise<{ data: Json; jsep?: { type: string; sdp: string } }> {
    const reply = await this.session.send({ janus: 'message', handle_id: this.id, body, ...(jsep ? { jsep } : {}) });
    const data = reply.plugindata?.data ?? {};
    if (typeof data.error_code === 'number') {
      throw new JanusRequestError(data.error_code, `VideoRoom ${String(body.request)}: ${data.error_code} ${String(data.error)}`);
    }
    return { data, ...(reply.jsep ? { jsep: reply.jsep } : {}) };
  }

  /** Tells Janus that this side's ICE candidates are all in its SDP (no trickle). */
  async trickleCompleted(): Promise<void> {
    await this.session.send({ janus: 'trickle', handle_id: this.id, candidate: { completed: true } }, true);
  }
}
