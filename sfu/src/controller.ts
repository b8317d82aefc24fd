import type { SfuController, SfuInstanceHealth, SfuRoom } from '../../shared/sfu.js';
import { participantTokenFor, roomDescriptionFor, roomIdFor, roomSecretFor } from './derive.js';
import {
  JanusError,
  JanusUnreachableError,
  NoHealthySfuError,
  UnknownSfuInstanceError,
  VIDEOROOM_NO_SUCH_ROOM,
  VIDEOROOM_ROOM_EXISTS,
} from './errors.js';
import { JanusCircuit } from './circuit.js';
import { JanusHttp } from './janus-http.js';
import { DEFAULT_TIMEOUT_MS, validateOptions, type JanusInstanceConfig, type SfuControllerOptions } from './options.js';

/*
 * createRoom(callId, participants)
 *
 *   roomId, secret, tokens = HMAC(key, callId ...)        (no shared state)
 *        │
 *        ├─► `list` on every instance, in parallel ──► load + is the room already there?
 *        │        (a failed or timed-out `list` = unhealthy, skipped)
 *        │
 *        ├─ found on instance I ─► `allowed add` tokens ─► room on I
 *        └─ not found ─► `create` on the least-loaded healthy instance
 *                         (participants, then rooms, then pool order);
 *                         427 "room exists" (another node won the race on
 *                         the same instance) ─► `allowed add` ─► reuse;
 *                         unreachable ─► next instance.
 */

interface ListedRoom {
  room: number;
  description: string;
  participants: number;
}

type Probe =
  | { instance: JanusInstanceConfig; index: number; ok: true; rooms: ListedRoom[]; participants: number }
  | { instance: JanusInstanceConfig; index: number; ok: false; error: string };

/** Video calls are one-to-one today; rooms still admit every participant passed in. */
const MIN_PUBLISHERS = 2;

export function createSfuController(options: SfuControllerOptions): SfuController {
  validateOptions(options);
  const { secret, logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const instances = [...options.instances];
  const circuits = new Map(instances.map((i) => [i.id, new JanusCircuit(i.id, options.circuit, logger)]));
  const clients = new Map(instances.map((i) => [i.id, new JanusHttp({ instance: i.id, apiUrl: i.apiUrl, timeoutMs, circuit: circuits.get(i.id) })]));
  // Concurrent createRoom calls for one call in this process share one placement.
  const creating = new Map<string, Promise<SfuRoom>>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error('sfu: the controller is closed');
  }

  function client(id: string): JanusHttp {
    assertOpen();
    const c = clients.get(id);
    if (!c) throw new UnknownSfuInstanceError(id);
    return c;
  }

  async function probe(instance: JanusInstanceConfig, index: number): Promise<Probe> {
    try {
      const data = await client(instance.id).videoroom({ request: 'list', admin_key: instance.adminSecret });
      const rooms = parseList(instance.id, data.list);
      return { instance, index, ok: true, rooms, participants: rooms.reduce((n, r) => n + r.participants, 0) };
    } catch (err) {
      if (!(err instanceof JanusUnreachableError || err instanceof JanusError)) throw err;
      logger?.warn({ instance: instance.id, err: err.message }, 'sfu: Janus instance unhealthy');
      return { instance, index, ok: false, error: err.message };
    }
  }

  async function allow(instance: JanusInstanceConfig, roomId: number, tokens: string[]): Promise<void> {
    await client(instance.id).videoroom({
      request: 'allowed',
      room: roomId,
      secret: roomSecretFor(secret, roomId),
      action: 'add',
      allowed: tokens,
    });
  }

  async function place(callId: string, participants: string[]): Promise<SfuRoom> {
    const roomId = roomIdFor(secret, callId);
    const description = roomDescriptionFor(callId);
    const tokens: Record<string, string> = {};
    for (const p of participants) tokens[p] = participantTokenFor(secret, roomId, p);
    const allowed = Object.values(tokens);
    const result = (instance: JanusInstanceConfig): SfuRoom => ({ instance: instance.id, roomId, clientUrl: instance.clientUrl, tokens });

    const probes = await Promise.all(instances.map((inst, i) => probe(inst, i)));
    for (const p of probes) {
      const existing = p.ok ? p.rooms.find((r) => r.room === roomId) : undefined;
      if (!existing) continue;
      if (existing.description !== description) {
        throw new Error(`sfu: room ${roomId} on ${p.instance.id} belongs to another call ("${existing.description}")`);
      }
      await allow(p.instance, roomId, allowed);
      return result(p.instance);
    }

    const failures: Record<string, string> = {};
    for (const p of probes) if (!p.ok) failures[p.instance.id] = p.error;
    const healthy = probes
      .filter((p) => p.ok)
      .sort((a, b) => a.participants - b.participants || a.rooms.length - b.rooms.length || a.index - b.index);
    for (const { instance } of healthy) {
      try {
        await client(instance.id).videoroom({
          request: 'create',
          admin_key: instance.adminSecret,
          room: roomId,
          description,
          secret: roomSecretFor(secret, roomId),
          is_private: true,
          allowed,
          // The allowed list only guards `join` as a publisher: without this,
          // anyone who learns the room and feed ids could subscribe.
          require_pvtid: true,
          publishers: Math.max(MIN_PUBLISHERS, participants.length),
          videocodec: 'vp8',
          audiocodec: 'opus',
          permanent: false,
        });
        return result(instance);
      } catch (err) {
        if (err instanceof JanusError && err.code === VIDEOROOM_ROOM_EXISTS) {
          await allow(instance, roomId, allowed);
          return result(instance);
        }
        // Died between `list` and `create`: try the next one. If the create
        // did reach Janus, an empty room is left there until Janus restarts.
        if (!(err instanceof JanusUnreachableError)) throw err;
        logger?.warn({ instance: instance.id, err: err.message }, 'sfu: create failed, trying the next instance');
        failures[instance.id] = err.message;
      }
    }
    throw new NoHealthySfuError(failures);
  }

  return {
    createRoom(callId, participants) {
      if (closed) return Promise.reject(new Error('sfu: the controller is closed'));
      if (!callId) return Promise.reject(new TypeError('sfu: createRoom needs a callId'));
      if (participants.length === 0 || participants.some((p) => !p) || new Set(participants).size !== participants.length) {
        return Promise.reject(new TypeError('sfu: createRoom needs distinct, non-empty participant ids'));
      }
      const pending = creating.get(callId);
      if (pending) return pending;
      const created = place(callId, participants).finally(() => creating.delete(callId));
      creating.set(callId, created);
      return created;
    },

    async destroyRoom({ instance, roomId }) {
      try {
        await client(instance).videoroom({ request: 'destroy', room: roomId, secret: roomSecretFor(secret, roomId), permanent: false });
      } catch (err) {
        if (err instanceof JanusError && err.code === VIDEOROOM_NO_SUCH_ROOM) return;
        throw err;
      }
    },

    async roomExists({ instance, roomId }) {
      const data = await client(instance).videoroom({ request: 'exists', room: roomId });
      return data.exists === true;
    },

    async health(): Promise<SfuInstanceHealth[]> {
      assertOpen();
      const probes = await Promise.all(instances.map((inst, i) => probe(inst, i)));
      return probes.map((p) =>
        p.ok
          ? { instance: p.instance.id, healthy: true, rooms: p.rooms.map((r) => ({ roomId: r.room, owner: ownerOf(r.description) })), participants: p.participants }
          : { instance: p.instance.id, healthy: false, rooms: [], participants: 0, error: p.error },
      );
    },

    circuits() {
      return Object.fromEntries([...circuits].map(([id, c]) => [id, c.state()]));
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}

/** The call id in a description made by roomDescriptionFor, else null. */
function ownerOf(description: string): string | null {
  const prefix = roomDescriptionFor('');
  return description.startsWith(prefix) && description.length > prefix.length ? description.slice(prefix.length) : null;
}

function parseList(instance: string, list: unknown): ListedRoom[] {
  if (!Array.isArray(list)) throw new JanusUnreachableError(instance, '`list` reply without a list');
  return list.map((entry: unknown): ListedRoom => {
    const r = entry as { room?: unknown; description?: unknown; num_participants?: unknown };
    return {
      room: typeof r.room === 'number' ? r.room : Number(r.room),
      description: typeof r.description === 'string' ? r.description : '',
      participants: typeof r.num_participants === 'number' ? r.num_participants : 0,
    };
  });
}
