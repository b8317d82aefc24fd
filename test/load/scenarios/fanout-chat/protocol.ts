import type { ChatProgress, ChatRoundResult, LoopSettings } from '../chat/protocol.js';

/**
 * IPC between the fan-out-beside-chat bench (bench.ts) and its chat driver
 * child (driver.ts). Unlike the chat bench's driver, this one keeps the same
 * sockets for every phase: the phases differ only in what the servers are
 * doing beside chat, not in freshly opened connections.
 */

/** Parent → driver. */
export type ToFanDriver =
  | { type: 'prepare'; url: string; clients: number; concurrency: number; loop: LoopSettings }
  /** One paced run on the connected clients (warm-up, then `loop.durationS` measured). */
  | { type: 'phase'; label: string; loop: LoopSettings }
  | { type: 'exit' };

/** Driver → parent. */
export type FromFanDriver =
  | { type: 'log'; message: string }
  | { type: 'prepared'; setupMs: Record<string, number> }
  | { type: 'progress'; snapshot: ChatProgress }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'result'; result: ChatRoundResult }
  | { type: 'failed'; message: string };
