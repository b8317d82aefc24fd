import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config.js';
import { fanoutPauseMs } from '../../server/src/modules/posts/posts.feed.js';

describe('fan-out pacing', () => {
  it('rests in proportion to what the batch cost, so writing takes the duty share of the time', () => {
    expect(fanoutPauseMs(100, 100)).toBe(0);
    expect(fanoutPauseMs(100, 50)).toBe(100);
    expect(fanoutPauseMs(100, 25)).toBe(300);
    expect(fanoutPauseMs(90, 75)).toBe(30);
  });

  it('never rests more than 5 s, nor after a batch that took no time', () => {
    expect(fanoutPauseMs(10_000, 1)).toBe(5_000);
    expect(fanoutPauseMs(0, 50)).toBe(0);
    expect(fanoutPauseMs(Number.NaN, 50)).toBe(0);
  });

  it('reads FEED_FANOUT_DUTY_PERCENT (default 100: no rest) and refuses values outside 1–100', () => {
    expect(loadConfig({}).feed.fanoutDutyPercent).toBe(100);
    expect(loadConfig({ FEED_FANOUT_DUTY_PERCENT: '40' }).feed.fanoutDutyPercent).toBe(40);
    for (const bad of ['0', '101', '12.5', 'half']) {
      expect(() => loadConfig({ FEED_FANOUT_DUTY_PERCENT: bad }), bad).toThrow(ConfigError);
    }
  });
});
