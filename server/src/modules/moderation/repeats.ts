import { readFileSync } from 'node:fs';
import { hashTag, type RedisClient } from '../../redis.js';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../../ratelimit.js';

/**
 * The repeat rule's counter: one normalised text per sender goes to at most `limit` conversations per
 * window; the same words said again in one conversation count once (no spam run).
 */
export interface RepeatCounter {
  /** Counts this text going to this conversation; false when it is one conversation too many. */
  take(senderId: string, key: string, conversationId: string): Promise<boolean>;
}

type Scripted = RedisClient & { moderationRepeatTake(seen: string, recipients: string, windowMs: number, limit: number): Promise<number> };

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** In Redis, one script call per text (both counters in one round trip, where two limiters took two in a row). */
export function redisRepeats(redis: RedisClient, prefix: string, o: { limit: number; windowSeconds: number }): RepeatCounter {
  if (typeof (redis as unknown as Partial<Scripted>).moderationRepeatTake !== 'function') {
    redis.defineCommand('moderationRepeatTake', { numberOfKeys: 2, lua: lua('repeat-take-2') });
  }
  const r = redis as unknown as Scripted;
  return {
    take: async (senderId, key, conversationId) => {
      // Both keys carry the sender and text as their hash tag: one Redis Cluster slot for the script.
      const text = hashTag(redis, `${senderId}:${key}`);
      return (await r.moderationRepeatTake(`${prefix}rl:moderation-repeat-seen:${text}:${conversationId}`, `${prefix}rl:moderation-repeats:${text}`, o.windowSeconds * 1000, o.limit)) === 1;
    },
  };
}

/** From two limiters (embedded mode: memory ones). */
export function limiterRepeats(limiter: LimiterFactory, o: { limit: number; windowSeconds: number }): RepeatCounter {
  const recipients = limiter({ keyPrefix: 'moderation-repeats', points: o.limit, durationSeconds: o.windowSeconds });
  const seen = limiter({ keyPrefix: 'moderation-repeat-seen', points: 1, durationSeconds: o.windowSeconds });
  const taken = (l: typeof seen, key: string) =>
    l.consume(key).then(
      () => true,
      (err: unknown) => {
        if (err instanceof RateLimiterRes) return false;
        throw err;
      },
    );
  return {
    async take(senderId, key, conversationId) {
      if (!(await taken(seen, `${senderId}:${key}:${conversationId}`))) return true;
      return taken(recipients, `${senderId}:${key}`);
    },
  };
}
