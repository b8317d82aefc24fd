import { createHash } from 'node:crypto';

/**
 * Account codes. Users' accounts are created on first use; shared accounts
 * that every spend would touch (revenue, escrow) are split into shards so
 * concurrent spends do not queue on one row (see the README's Ledger section).
 */
export const accounts = {
  wallet: (userId: string) => `wallet:${userId}`,
  earnings: (userId: string) => `earnings:${userId}`,
  debt: (userId: string) => `debt:${userId}`,
  revenue: (shard: number) => `revenue:${shard}`,
  escrow: (shard: number) => `escrow:${shard}`,
  clearing: (provider: string) => `clearing:${provider}`,
  promotions: () => 'promotions:main',
  adjustments: () => 'adjustments:main',
  payouts: () => 'payouts:clearing',
  /** Money that left the platform: payouts the provider paid. */
  paidOut: () => 'payouts:paid',
};

/** Which chain/revenue/escrow shard an operation uses: stable for a key, spread across keys. */
export function shardOf(key: string, shards: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % shards;
}

/** The creator/platform split of a spend: the platform fee rounds down, the creator keeps the rest. */
export function split(amount: number, feeBps: number): { creator: number; fee: number } {
  const fee = Math.floor((amount * feeBps) / 10_000);
  return { creator: amount - fee, fee };
}
