import { randomBytes, randomInt } from 'node:crypto';
import type { CallMedia } from '../../../../../shared/calls.js';
import { JanusParticipant } from '../../../../support/janus.js';
import { clientTargets, closeAll, connectAll, timed } from '../../../lib/sessions.js';
import { callSignals, userIdOf } from '../signals.js';
import { wallNow, type MediaPeersProcess } from './peers-client.js';

/**
 * How one call gets its media credentials, Pairly's way or the bare way;
 * either way the same media peers then join the room with them.
 *
 *   Pairly: caller ─call:invite─► node ─call:ringing─► callee ─call:accept─► node ─► SFU controller
 *           ─► Janus `create` (private room, tokens, require_pvtid) ─► ack {media} to the callee,
 *           call:accepted {media} to the caller ─► each joins the room with its own token
 *   bare:   this process ─► Janus `create` (the same room settings) ─► both join with their tokens
 */

export class CallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

export interface StartedCall {
  /** Wall time the set-up began (call:invite sent / room create sent). */
  t0: number;
  /** Set-up: invite → the caller holds its media credentials (bare: the room exists). */
  setupMs: number;
  /** Wall time the callee answered (call:accept sent; bare: the joins were sent). */
  acceptAt: number;
  callerKey: string;
  calleeKey: string;
  end(): Promise<void>;
}

export interface CallDriver {
  readonly name: string;
  /** Sets up call slot `slot`; the peers join as the credentials arrive. */
  start(slot: number, seq: number, peers: MediaPeersProcess, opts: { oneWay: boolean }): Promise<StartedCall>;
  close(): Promise<void>;
}

/**
 * Pairly: `slots` caller/callee pairs of fresh users; caller 2i on
 * urls[2i % n], callee 2i+1 on the next URL, so a call spans two nodes when
 * there are two.
 */
export async function openPairlyDriver(
  urls: string[],
  slots: number,
  opts: { timeoutMs: number; setupConcurrency: number; log(m: string): void },
): Promise<CallDriver> {
  const setupMs: Record<string, number> = {};
  const targets = await timed(setupMs, 'signup', () => clientTargets(urls, slots * 2, { auth: true, concurrency: opts.setupConcurrency }));
  const sockets = await timed(setupMs, 'connect', () => connectAll(targets, opts.setupConcurrency));
  const userIds = targets.map((t) => userIdOf(t.token!));
  opts.log(`${slots} caller/callee pairs signed up and connected over ${urls.length} node(s) in ${(setupMs.signup ?? 0) + (setupMs.connect ?? 0)} ms`);

  const { once, ack } = callSignals(opts.timeoutMs, (code, message) => new CallError(code, message));

  return {
    name: 'pairly',
    async start(slot, seq, peers, { oneWay }) {
      const caller = sockets[2 * slot]!;
      const callee = sockets[2 * slot + 1]!;
      const callerKey = `pairly.${slot}.${seq}.caller`;
      const calleeKey = `pairly.${slot}.${seq}.callee`;
      const t0 = wallNow();
      const ringing = once<any>(callee, 'call:ringing', () => true);
      const { call } = await ack(caller, 'call:invite', { toUserId: userIds[2 * slot + 1], video: true });
      const callId = call.id as string;
      const end = async () => {
        const ended = once(callee, 'call:ended', (p) => p.call.id === callId);
        await ack(caller, 'call:hangup', { callId }).catch(() => ack(caller, 'call:cancel', { callId }));
        await ended;
      };
      try {
        await ringing;
        const accepted = once<{ media: CallMedia }>(caller, 'call:accepted', (p) => p.call.id === callId);
        const acceptAt = wallNow();
        // Each side joins as soon as it holds its credentials, as a client would.
        const calleeJoined = ack(callee, 'call:accept', { callId }).then((res: { media: CallMedia }) =>
          peers.join(calleeKey, res.media, { publish: !oneWay, subscribe: true }),
        );
        const callerJoined = accepted.then(({ media }) => {
          const ms = wallNow() - t0;
          peers.join(callerKey, media, { publish: true, subscribe: !oneWay });
          return ms;
        });
        const [, setupMs] = await Promise.all([calleeJoined, callerJoined]);
        return { t0, setupMs, acceptAt, callerKey, calleeKey, end };
      } catch (err) {
        await end().catch(() => undefined);
        throw err;
      }
    },
    close: () => closeAll(sockets),
  };
}

/** Janus's HTTP API with the VideoRoom admin key, reconnecting once when the session expired (idle > 60 s). */
class JanusAdmin {
  private participant: Promise<JanusParticipant> | undefined;

  constructor(private readonly apiUrl: string) {}

  async request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      this.participant ??= JanusParticipant.connect(this.apiUrl);
      try {
        const data = await (await this.participant).request(body);
        if (typeof data.error_code === 'number') throw new CallError(`JANUS_${data.error_code}`, `VideoRoom ${String(body.request)}: ${String(data.error)}`);
        return data;
      } catch (err) {
        if (err instanceof CallError || attempt > 0) throw err;
        this.participant = undefined;
      }
    }
  }

  async close(): Promise<void> {
    await (await this.participant?.catch(() => undefined))?.close();
  }
}

/**
 * The bare baseline: this process creates the room directly on Janus (the
 * settings the SFU controller uses: private, secret, one token per
 * participant, require_pvtid, VP8/Opus) and hands both peers their tokens.
 * No Pairly, no Socket.IO, no database.
 */
export function openBareDriver(janus: { apiUrl: string; wsUrl: string; adminKey: string }): CallDriver {
  const admin = new JanusAdmin(janus.apiUrl);
  return {
    name: 'bare janus',
    async start(slot, seq, peers, { oneWay }) {
      const callerKey = `bare.${slot}.${seq}.caller`;
      const calleeKey = `bare.${slot}.${seq}.callee`;
      const t0 = wallNow();
      const room = randomInt(1, 2 ** 47);
      const secret = randomBytes(16).toString('hex');
      const tokens = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')] as const;
      await admin.request({
        request: 'create',
        admin_key: janus.adminKey,
        room,
        description: `bare call ${slot}.${seq}`,
        secret,
        is_private: true,
        allowed: [...tokens],
        require_pvtid: true,
        publishers: 2,
        videocodec: 'vp8',
        audiocodec: 'opus',
        permanent: false,
      });
      const setupMs = wallNow() - t0;
      const media = (token: string): CallMedia => ({ clientUrl: janus.wsUrl, roomId: room, token, iceServers: [] });
      const acceptAt = wallNow();
      peers.join(calleeKey, media(tokens[1]), { publish: !oneWay, subscribe: true });
      peers.join(callerKey, media(tokens[0]), { publish: true, subscribe: !oneWay });
      return {
        t0,
        setupMs,
        acceptAt,
        callerKey,
        calleeKey,
        end: async () => {
          await admin.request({ request: 'destroy', room, secret }).catch((err: CallError) => {
            if (err.code !== 'JANUS_426') throw err;
          });
        },
      };
    },
    close: () => admin.close(),
  };
}
