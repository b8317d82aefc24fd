import { cpus } from 'node:os';
import type { StepResult } from './step.js';
import type { LatencySummary } from '../../../lib/recorder.js';
import { mdRow, pct } from '../../../lib/summary.js';

/** The Markdown tables `npm run load|bench -- calls --media` end with. */

const CORES = cpus().length;
export const JANUS = 'janus';
export const PEERS = 'peers';
export const NODES = 'pairly';
export const GENERATOR = 'load gen';

const row = mdRow;
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const three = (l: LatencySummary) => (l.count === 0 ? '—' : `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`);

export function latencyTable(rows: StepResult[]): string {
  const head = ['target', 'calls', 'calls done', 'failed', 'set-up p50 / p95 / p99 ms', 'invite → first frame p50 / p95 / p99 ms', 'accept → first frame p50 / p95 / p99 ms', 'caller\'s first frame p50 / p95 / p99 ms'];
  return [
    row(head),
    row(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map((r) => row([r.target, String(r.calls), String(r.completed), String(r.failed), three(r.setup), three(r.firstFrame), three(r.acceptToFrame), three(r.callerFirstFrame)])),
  ].join('\n');
}

/** Janus CPU per call with media, % of one core; undefined without both. */
export function janusPerCall(r: StepResult): number | undefined {
  const j = r.cpu[JANUS];
  return j !== undefined && r.mediaCallsAvg > 0.5 ? j / r.mediaCallsAvg : undefined;
}

export function otherPct(r: StepResult): number | undefined {
  if (r.machinePct === undefined) return undefined;
  const known = Object.values(r.cpu).reduce<number>((a, v) => a + (v ?? 0), 0);
  return Math.max(0, r.machinePct * CORES - known);
}

export function mediaTable(rows: StepResult[]): string {
  const head = [
    'target', 'calls', 'calls with media (mean)', 'fps per stream p50 (min)', 'longest freeze p95 ms',
    'kbps per stream p50', 'resolution', 'packets lost', 'Janus CPU', 'Janus per call', 'calls per Janus core',
    'peers CPU', 'peers per call', 'Pairly nodes CPU', 'load gen CPU', 'machine busy', 'other CPU',
  ];
  return [
    row(head),
    row(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map((r) => {
      const jpc = janusPerCall(r);
      const peers = r.cpu[PEERS];
      return row([
        r.target,
        String(r.calls),
        r.mediaCallsAvg.toFixed(1),
        r.streams.n ? `${r.streams.fpsP50.toFixed(1)} (${r.streams.fpsMin.toFixed(1)})` : '—',
        r.streams.n ? ms(r.streams.maxGapP95) : '—',
        r.streams.kbpsP50?.toFixed(0) ?? '—',
        r.streams.resolution ?? '—',
        String(r.streams.packetsLost),
        pct(r.cpu[JANUS]),
        jpc === undefined ? '—' : `${jpc.toFixed(1)}%`,
        jpc === undefined ? '—' : (100 / jpc).toFixed(0),
        pct(peers),
        peers !== undefined && r.mediaCallsAvg > 0.5 ? `${(peers / r.mediaCallsAvg).toFixed(1)}%` : '—',
        pct(r.cpu[NODES]),
        pct(r.cpu[GENERATOR]),
        r.machinePct === undefined ? '—' : `${(r.machinePct * CORES).toFixed(0)}%`,
        pct(otherPct(r)),
      ]);
    }),
  ].join('\n');
}

export function notes(settings: { width: number; height: number; fps: number; audio: boolean; oneWay: boolean; holdS: number }): string[] {
  return [
    `Media: synthetic ${settings.width}x${settings.height} I420 at ${settings.fps} fps (VP8)${settings.audio ? ' + a 440 Hz tone (Opus)' : ', no audio'}, ` +
      `${settings.oneWay ? 'caller → callee only' : 'both directions (each side publishes and subscribes)'}; ` +
      `${settings.holdS > 0 ? `each call lasts ${settings.holdS} s, then its slot sets up the next` : 'each call lasts the whole run'}.`,
    `CPU columns are % of one core (${CORES} cores = ${CORES * 100}%), over the measured window: Janus (its process inside the namespace), ` +
      `peers (the @roamhq/wrtc media-peer process: encoding, decoding, DTLS/SRTP of every participant), Pairly nodes, ` +
      `load gen (this process: Socket.IO clients), machine busy (all of it), other (the rest: PostgreSQL, Redis, other processes).`,
    'Calls per Janus core = mean calls with media ÷ (Janus CPU ÷ 100%): what one core of Janus forwards at this rate, ' +
      'the media peers\' own CPU excluded (they share this machine).',
    'Set-up = call:invite sent → the caller holds its media credentials (call:accepted); bare: Janus `create` sent → room made. ' +
      'First frame = invite (bare: create) sent → first decoded frame at the callee; accept → first frame = call:accept sent ' +
      '(bare: joins sent) → the same frame.',
  ];
}

export function errorLines(rows: StepResult[]): string[] {
  return rows
    .filter((r) => r.failed > 0)
    .map((r) => `failed calls in ${r.target} × ${r.calls}: ${Object.entries(r.errorCodes).map(([c, n]) => `${c} ${n}`).join(', ')}`);
}
