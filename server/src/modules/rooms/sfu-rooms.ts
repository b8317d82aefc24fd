import type { SfuController, SfuRoom } from '../../../../shared/sfu.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';

type RoomRef = Pick<SfuRoom, 'instance' | 'roomId'>;

/**
 * Destroying a room is what stops a call's media, so it must not be lost to a
 * Janus that is briefly unreachable: a failed destroy is retried by the
 * `sfu.destroy-room` job with backoff (JOB_ATTEMPTS, JOB_BACKOFF_MS). A room
 * that is already gone counts as destroyed, so a Janus that restarted (and
 * lost its rooms) ends the retries at once.
 */
export class SfuRooms {
  constructor(private readonly d: { sfu: SfuController | undefined; jobs: JobQueue; logger: Logger }) {}

  /** Destroys now; on failure, hands the room to the retry job. Never throws for an unreachable Janus. */
  async destroy(room: RoomRef, context: Record<string, unknown>): Promise<void> {
    if (!this.d.sfu) return;
    try {
      await this.d.sfu.destroyRoom(room);
    } catch (err) {
      this.d.logger.warn({ err, ...context, instance: room.instance, roomId: room.roomId }, 'SFU room destruction failed: retrying in a job');
      await this.d.jobs.enqueue('sfu.destroy-room', { instance: room.instance, roomId: room.roomId }, { jobId: `sfu:destroy:${room.instance}:${room.roomId}` });
    }
  }

  /** Job: throws while the instance is unreachable, so the queue retries it. */
  async destroyJob(room: RoomRef): Promise<void> {
    if (!this.d.sfu) {
      this.d.logger.error({ ...room }, 'sfu.destroy-room: this process has no SFU configured (SFU_JANUS_INSTANCES); dropping the job');
      return;
    }
    await this.d.sfu.destroyRoom(room);
  }
}
