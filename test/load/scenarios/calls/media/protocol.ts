import type { CallMedia } from '../../../../../shared/calls.js';

/**
 * JSON lines between the load generator (root namespace) and the media-peer
 * process (peers.ts, inside the Janus network namespace): commands on
 * the child's stdin, events on its stdout. Times (`atMs`) are wall-clock
 * milliseconds with sub-millisecond precision (`performance.timeOrigin +
 * performance.now()`), so the two processes can subtract each other's.
 */

/** What the media peers send; fixed for the life of the process (its argv). */
export interface PeerSettings {
  width: number;
  height: number;
  fps: number;
  audio: boolean;
}

export type ToPeers =
  /**
   * One call participant: joins media.roomId as a publisher with media.token
   * (keeps the private_id), publishes when `publish`, and when `subscribe`
   * subscribes to the first other publisher of the room (there or to come).
   */
  | { type: 'join'; key: string; media: CallMedia; publish: boolean; subscribe: boolean }
  /** Closes the participant's PeerConnections and Janus session; answered by `left`. */
  | { type: 'leave'; key: string }
  | { type: 'stats'; id: number };

/** Per participant at `left`: what it received from the other side. */
export interface ReceivedStats {
  /** Frames delivered to the RTCVideoSink (decoded). */
  frames: number;
  firstFrameAtMs?: number;
  lastFrameAtMs?: number;
  /** Longest gap between two decoded frames after the first, ms (a freeze shows here). */
  maxGapMs: number;
  width?: number;
  height?: number;
  /** From the subscriber PeerConnection's inbound-rtp stats, when wrtc reports them. */
  videoBytes?: number;
  videoPackets?: number;
  packetsLost?: number;
}

export type FromPeers =
  | { type: 'ready'; pid: number; wrtc: string }
  | { type: 'failed'; message: string }
  | { type: 'joined'; key: string; feedId: number; atMs: number }
  /** The publisher's PeerConnection is up at Janus (`webrtcup`). */
  | { type: 'published'; key: string; atMs: number }
  | { type: 'first-frame'; key: string; atMs: number; width: number; height: number }
  | { type: 'error'; key: string; message: string; code?: number }
  /** Janus ended the participant's media (room destroyed, PeerConnection hung up). */
  | { type: 'ended'; key: string; reason: string; atMs: number }
  | { type: 'left'; key: string; atMs: number; received: ReceivedStats }
  | { type: 'stats'; id: number; atMs: number; participants: number; receiving: number; framesTotal: number };
