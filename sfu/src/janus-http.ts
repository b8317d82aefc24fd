import { randomUUID } from 'node:crypto';
import type { JanusCircuit } from './circuit.js';
import { JanusError, JanusUnreachableError, JANUS_NO_SUCH_HANDLE, JANUS_NO_SUCH_SESSION } from './errors.js';

interface JanusReply {
  janus: string;
  data?: { id?: unknown };
  error?: { code?: unknown; reason?: unknown };
  plugindata?: { plugin?: unknown; data?: Record<string, unknown> };
}

interface Handle {
  sessionId: number;
  handleId: number;
}

export interface JanusHttpOptions {
  /** The instance's id in the pool, for errors. */
  instance: string;
  /** e.g. http://10.0.0.5:8088/janus */
  apiUrl: string;
  /** Every HTTP request (connect, send, read the reply) is aborted after this. */
  timeoutMs: number;
  /** Around every VideoRoom request (with the session set-up it may need). */
  circuit?: JanusCircuit;
}

/**
 * One Janus instance's VideoRoom plugin, driven through the Janus HTTP API
 * with synchronous plugin requests only (create, destroy, list, allowed):
 * their result comes back in the HTTP reply, so no long-poll for events is
 * ever needed.
 *
 * It keeps one Janus session with one VideoRoom handle and reuses it: one HTTP
 * request per operation instead of four (create session, attach, message,
 * destroy session). There is no keepalive loop: an idle session expires on
 * Janus after its session_timeout (60 s by default), and so does every
 * session when Janus restarts; the next request then gets 458/459, and the
 * client opens a new session and retries once. That costs two extra round
 * trips after an idle minute and needs no timer.
 */
export class JanusHttp {
  private handle: Promise<Handle> | undefined;

  constructor(private readonly opts: JanusHttpOptions) {}

  /** A synchronous VideoRoom request; resolves with the plugin's data, rejects on its `error_code`. */
  videoroom(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.opts.circuit ? this.opts.circuit.run(() => this.request(body)) : this.request(body);
  }

  private async request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const pending = this.attach();
      const { sessionId, handleId } = await pending;
      try {
        const reply = await this.post(`/${sessionId}/${handleId}`, { janus: 'message', body });
        const data = reply.plugindata?.data;
        if (reply.janus !== 'success' || !data) {
          throw new JanusUnreachableError(this.opts.instance, `unexpected reply "${reply.janus}" to a videoroom request`);
        }
        if (typeof data.error_code === 'number') {
          throw new JanusError(this.opts.instance, data.error_code, typeof data.error === 'string' ? data.error : '');
        }
        return data;
      } catch (err) {
        const gone = err instanceof JanusError && (err.code === JANUS_NO_SUCH_SESSION || err.code === JANUS_NO_SUCH_HANDLE);
        if (!gone || attempt > 0) throw err;
        if (this.handle === pending) this.handle = undefined;
      }
    }
  }

  /** Ends the session (best effort: a dead Janus has already forgotten it). */
  async close(): Promise<void> {
    const pending = this.handle;
    this.handle = undefined;
    if (!pending) return;
    try {
      const { sessionId } = await pending;
      await this.post(`/${sessionId}`, { janus: 'destroy' });
    } catch {
      // Unreachable or already expired: nothing left to clean up.
    }
  }

  private attach(): Promise<Handle> {
    if (this.handle) return this.handle;
    const pending = (async (): Promise<Handle> => {
      const session = await this.post('', { janus: 'create' });
      const sessionId = idOf(session, this.opts.instance);
      const attached = await this.post(`/${sessionId}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' });
      return { sessionId, handleId: idOf(attached, this.opts.instance) };
    })();
    this.handle = pending;
    // A failed attach is not cached: the next request tries again.
    pending.catch(() => {
      if (this.handle === pending) this.handle = undefined;
    });
    return pending;
  }

  private async post(path: string, message: Record<string, unknown>): Promise<JanusReply> {
    const { instance, apiUrl, timeoutMs } = this.opts;
    let status = 0;
    let text = '';
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${apiUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...message, transaction: randomUUID() }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = res.status;
        text = await res.text();
        break;
      } catch (err) {
        // A pooled keep-alive connection that Janus closed (it restarted, or
        // idled it out) fails at once; every request the controller sends is
        // idempotent, so one retry on a fresh connection is safe.
        if (attempt === 0 && isStaleConnection(err)) continue;
        throw new JanusUnreachableError(instance, describeFetchError(err, timeoutMs), { cause: err, timedOut: isTimeout(err) });
      }
    }
    if (status !== 200) throw new JanusUnreachableError(instance, `HTTP ${status}`);
    let reply: JanusReply;
    try {
      reply = JSON.parse(text) as JanusReply;
    } catch {
      throw new JanusUnreachableError(instance, 'reply is not JSON');
    }
    if (reply.janus === 'error') {
      const code = typeof reply.error?.code === 'number' ? reply.error.code : 0;
      throw new JanusError(instance, code, typeof reply.error?.reason === 'string' ? reply.error.reason : '');
    }
    return reply;
  }
}

function idOf(reply: JanusReply, instance: string): number {
  const id = reply.data?.id;
  if (reply.janus !== 'success' || typeof id !== 'number') {
    throw new JanusUnreachableError(instance, `unexpected reply "${reply.janus}" without an id`);
  }
  return id;
}

/** fetch wraps socket errors: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED', message } }). */
function causeOf(err: unknown): { code?: unknown; message?: unknown } | undefined {
  return err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
}

function isStaleConnection(err: unknown): boolean {
  const code = causeOf(err)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (isTimeout(err)) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = causeOf(err);
  if (typeof cause?.message === 'string' && cause.message) return cause.message; // "connect ECONNREFUSED 10.0.0.5:8088"
  if (typeof cause?.code === 'string') return cause.code;
  return err instanceof Error ? err.message : String(err);
}
