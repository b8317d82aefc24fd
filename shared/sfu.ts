import type { CircuitState } from './health.js';

/**
 * The controller-to-SFU contract. Server nodes and workers hold an
 * SfuController (sfu/src) that drives a pool of Janus WebRTC servers
 * (VideoRoom plugin). A call gets a private room on the least-loaded healthy
 * Janus, protected by a secret, with one join token per participant; the
 * room is destroyed when the call ends, which cuts its media.
 */
export interface SfuRoom {
  /** The Janus instance's id in the pool (JanusInstanceConfig.id, e.g. from SFU_JANUS_URLS). */
  instance: string;
  /** VideoRoom room id (numeric in Janus). */
  roomId: number;
  /** Where the participants' clients reach Janus (its WebSocket/HTTP API URL as the public sees it). */
  clientUrl: string;
  /**
   * One token per participant, keyed by the participant ids given to
   * createRoom, for VideoRoom's `allowed` list; never shared between
   * participants. Each participant's client joins the room as a publisher
   * with its own token (even before or without sending media), and
   * subscribes with the `private_id` that join returned: the room requires
   * it (require_pvtid), since Janus checks tokens on publisher joins only.
   */
  tokens: Record<string, string>;
}

export interface SfuInstanceHealth {
  instance: string;
  /** It answered a VideoRoom `list` within the controller's timeout. */
  healthy: boolean;
  /**
   * The rooms on the instance (none when unhealthy), each with the call or
   * match session id it was created for (from its description; null for
   * rooms the controller did not make). A call whose room is missing from a
   * healthy instance lost its media; a room whose owner has ended is left over.
   */
  rooms: { roomId: number; owner: string | null }[];
  /** VideoRoom participants (users joined as publishers) over all rooms; subscriptions are not counted. */
  participants: number;
  error?: string;
}

export interface SfuController {
  /**
   * Creates the call's room on the least-loaded healthy instance. Idempotent
   * on callId: a retry, a concurrent call or another node gets the same room
   * and the same tokens (they are derived from callId with the controller's
   * secret). Rejects when no instance is healthy (SFU_UNAVAILABLE).
   */
  createRoom(callId: string, participants: string[]): Promise<SfuRoom>;
  /**
   * Destroys the room (kicking everyone); a room that is already gone is not
   * an error. Rejects when the instance cannot be reached: retry it (a Janus
   * that died has lost its rooms anyway).
   */
  destroyRoom(room: Pick<SfuRoom, 'instance' | 'roomId'>): Promise<void>;
  /**
   * Whether the room is on its instance (VideoRoom `exists`). Rejects when
   * the instance cannot be reached or is not in the pool.
   */
  roomExists(room: Pick<SfuRoom, 'instance' | 'roomId'>): Promise<boolean>;
  /** Health and load of every instance in the pool. */
  health(): Promise<SfuInstanceHealth[]>;
  /** Each instance's circuit breaker, without asking Janus: open means recent requests went unanswered and it is skipped. */
  circuits(): Record<string, CircuitState>;
  close(): Promise<void>;
}
