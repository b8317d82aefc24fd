/*
 * The media sweep (job calls.media-sweep, every CALL_MEDIA_SWEEP_SECONDS while an SFU is set):
 *
 *   sessions.openRooms() ──► rooms that should be live (calls: the active ones), with when each was last seen
 *   sessions.beforeCheck(now) ──► the owner's own overdue work (calls: ends calls stuck ringing or connecting)
 *   sfu.health() ──► every instance's room list
 *        rooms owned by a call or session that has ended ──► destroyed (orphans)
 *        an open room on a healthy Janus ──► seen;  missing from a healthy Janus (it restarted) ──► lost
 *        an open room on a Janus not answering for CALL_MEDIA_LOST_SECONDS (or gone from the pool) ──► lost
 *   round.checked({ at, seen, lost }) ──► the owner records the sightings and ends what was lost,
 *        at the last moment each room was seen
 *
 * The sweep knows rooms, not calls: which sessions are open or ended is told
 * by the modules that own them (RoomSessions, EndedOwners).
 */
import type { SfuController, SfuInstanceHealth } from '../../../../shared/sfu.js';
import type { Logger } from '../../logger.js';
import type { SfuRooms } from './sfu-rooms.js';

/** A room that should be live: `owner` is the call or session it belongs to. */
export interface OpenRoom {
  owner: string;
  instance: string;
  roomId: number;
  /** The last moment its media was known to be there. */
  lastSeen: Date;
}

export interface LostRoom extends OpenRoom {
  why: string;
}

/** One sweep's view of the open rooms, and where its findings go. */
export interface OpenRoomsRound {
  rooms: OpenRoom[];
  checked(findings: { at: Date; seen: string[]; lost: LostRoom[] }): Promise<void>;
}

/** What the sweep needs from a module whose live sessions hold rooms (calls). */
export interface RoomSessions {
  openRooms(): Promise<OpenRoomsRound>;
  /** Runs in every sweep before the Janus pool is asked. */
  beforeCheck(now: Date): Promise<void>;
}

/** Of these owner ids (UUIDs), the ones whose call or session has ended. */
export type EndedOwners = (ids: string[]) => Promise<Set<string>>;

export interface MediaSweepResult {
  checked: number;
  ended: string[];
  orphans: number;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class MediaSweep {
  constructor(
    private readonly d: {
      sfu: SfuController | undefined;
      rooms: Pick<SfuRooms, 'destroy'>;
      sessions: RoomSessions;
      /** One per module whose sessions own rooms (calls, match sessions). */
      endedOwners: EndedOwners[];
      logger: Logger;
      options: { mediaLostSeconds: number };
    },
  ) {}

  /**
   * Open rooms against their Janus. Seen in a healthy instance's room list:
   * seen. Missing from a healthy instance (it restarted, losing its rooms):
   * lost. On an instance that has not answered for CALL_MEDIA_LOST_SECONDS:
   * lost. Rooms left on a Janus by calls or sessions that have ended are destroyed.
   */
  async run(): Promise<MediaSweepResult> {
    if (!this.d.sfu) return { checked: 0, ended: [], orphans: 0 };
    const round = await this.d.sessions.openRooms();
    const checkedAt = new Date();
    await this.d.sessions.beforeCheck(checkedAt);
    const health = new Map((await this.d.sfu.health()).map((h) => [h.instance, h]));
    const orphans = await this.destroyOrphanRooms([...health.values()]);
    const seen: string[] = [];
    const lost: LostRoom[] = [];
    for (const r of round.rooms) {
      const h = health.get(r.instance);
      if (h?.healthy) {
        if (h.rooms.some((x) => x.roomId === r.roomId)) seen.push(r.owner);
        else lost.push({ ...r, why: 'room gone from its Janus' });
      } else if (checkedAt.getTime() - r.lastSeen.getTime() >= this.d.options.mediaLostSeconds * 1000) {
        lost.push({ ...r, why: h ? `Janus unreachable: ${h.error ?? 'unhealthy'}` : 'Janus no longer in SFU_JANUS_INSTANCES' });
      }
    }
    await round.checked({ at: checkedAt, seen, lost });
    return { checked: round.rooms.length, ended: lost.map((l) => l.owner), orphans };
  }

  /**
   * Rooms whose call or match session has ended but which are still on a
   * Janus (a create that timed out after reaching Janus, a destruction whose
   * retries ran out): destroyed. Rooms of calls or sessions still open, and
   * rooms Pairly cannot place (no such call or session), are left alone.
   */
  private async destroyOrphanRooms(health: SfuInstanceHealth[]): Promise<number> {
    const owned = health.flatMap((h) => h.rooms.flatMap((r) => (r.owner === null ? [] : [{ instance: h.instance, roomId: r.roomId, owner: r.owner }])));
    if (owned.length === 0) return 0;
    const ended = await this.endedOwners(owned.map((r) => r.owner));
    const orphans = owned.filter((r) => ended.has(r.owner));
    for (const r of orphans) {
      this.d.logger.warn({ instance: r.instance, roomId: r.roomId, owner: r.owner }, 'media sweep: destroying a room whose call or session has ended');
      await this.d.rooms.destroy({ instance: r.instance, roomId: r.roomId }, { owner: r.owner, orphan: true });
    }
    return orphans.length;
  }

  /** Calls and sessions have UUIDs: an owner that is not one is no room of Pairly's. */
  private async endedOwners(owners: string[]): Promise<Set<string>> {
    const ids = owners.filter((id) => uuid.test(id));
    if (ids.length === 0) return new Set();
    const found = await Promise.all(this.d.endedOwners.map((ended) => ended(ids)));
    return new Set(found.flatMap((s) => [...s]));
  }
}
