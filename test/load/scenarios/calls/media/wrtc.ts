import type { CallMedia } from '../../../../../shared/calls.js';
import type { PeerSettings } from './protocol.js';

/**
 * What peers.ts uses of @roamhq/wrtc, typed here (its own types need
 * the DOM lib), and the synthetic media its publishers send.
 */

export interface SessionDescription {
  type: string;
  sdp: string;
}
export interface MediaStreamTrack {
  kind: string;
  stop(): void;
}
export interface PeerConnection {
  iceGatheringState: string;
  connectionState: string;
  localDescription: SessionDescription | null;
  onicegatheringstatechange: (() => void) | null;
  ontrack: ((e: { track: MediaStreamTrack }) => void) | null;
  onconnectionstatechange: (() => void) | null;
  addTransceiver(trackOrKind: MediaStreamTrack | string, init?: { direction?: string }): unknown;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(d: SessionDescription): Promise<void>;
  setRemoteDescription(d: SessionDescription): Promise<void>;
  addIceCandidate(c: { candidate?: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
}
export interface I420Frame {
  width: number;
  height: number;
  data: Uint8Array;
}
export interface VideoSource {
  createTrack(): MediaStreamTrack;
  onFrame(frame: I420Frame): void;
}
export interface AudioSource {
  createTrack(): MediaStreamTrack;
  onData(data: { samples: Int16Array; sampleRate: number; bitsPerSample?: number; channelCount?: number; numberOfFrames?: number }): void;
}
export interface VideoSink {
  onframe: ((e: { frame: I420Frame }) => void) | null;
  stop(): void;
}
export interface Wrtc {
  RTCPeerConnection: new (config: { iceServers: CallMedia['iceServers']; bundlePolicy?: string }) => PeerConnection;
  nonstandard: {
    RTCVideoSource: new () => VideoSource;
    RTCAudioSource: new () => AudioSource;
    RTCVideoSink: new (track: MediaStreamTrack) => VideoSink;
  };
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Precomputed I420 frames, two seconds of them, cycled: a scrolling diagonal
 * gradient, a bright square crossing the picture and a little noise
 * everywhere, so the encoder sees motion and detail every frame, roughly
 * what a camera gives (a still image would cost almost no bits and flatter
 * Janus; pure noise would make the encoder drop frames).
 */
function syntheticFrames(width: number, height: number, count: number): I420Frame[] {
  const ySize = width * height;
  const cSize = (width >> 1) * (height >> 1);
  const side = Math.max(8, Math.round(Math.min(width, height) / 6));
  const frames: I420Frame[] = [];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0x07;
  for (let f = 0; f < count; f++) {
    const data = new Uint8Array(ySize + 2 * cSize);
    const sx = Math.round(((width - side) * f) / count);
    const sy = Math.round(((height - side) * (1 + Math.sin((2 * Math.PI * f) / count))) / 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const square = x >= sx && x < sx + side && y >= sy && y < sy + side;
        data[y * width + x] = square ? 235 : 16 + ((x + 2 * y + f * 6) % 200) + rand();
      }
    }
    for (let i = 0; i < cSize; i++) {
      data[ySize + i] = 128 + ((i + f * 3) % 40) - 20;
      data[ySize + cSize + i] = 128 - ((i >> 4) % 30) + 15;
    }
    frames.push({ width, height, data });
  }
  return frames;
}

export class MediaClock {
  private readonly video = new Set<VideoSource>();
  private readonly audio = new Set<AudioSource>();
  private readonly frames: I420Frame[];
  private tick = 0;
  private audioSent = 0;
  private readonly audioStart = now();
  private readonly tone = new Int16Array(480);

  constructor(private readonly s: PeerSettings) {
    this.frames = syntheticFrames(s.width, s.height, Math.max(2, s.fps * 2));
    for (let i = 0; i < this.tone.length; i++) this.tone[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
    setInterval(() => this.pushVideo(), 1000 / s.fps);
    if (s.audio) setInterval(() => this.pushAudio(), 10);
  }

  addVideo(v: VideoSource): void {
    this.video.add(v);
  }
  addAudio(a: AudioSource): void {
    this.audio.add(a);
  }
  remove(src: VideoSource | AudioSource | undefined): void {
    if (!src) return;
    this.video.delete(src as VideoSource);
    this.audio.delete(src as AudioSource);
  }

  private pushVideo(): void {
    const frame = this.frames[this.tick++ % this.frames.length]!;
    for (const v of this.video) v.onFrame(frame);
  }

  /** 10 ms Opus frames of a 440 Hz tone; catches up when the timer ran late. */
  private pushAudio(): void {
    const due = Math.floor((now() - this.audioStart) / 10);
    for (; this.audioSent < due; this.audioSent++) {
      for (const a of this.audio) a.onData({ samples: this.tone, sampleRate: 48_000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }
  }
}
