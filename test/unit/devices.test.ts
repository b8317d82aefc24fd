import { describe, expect, it } from 'vitest';
import { deviceKey, placeOf } from '../../server/src/modules/auth/devices.js';

describe("a session's coarse place", () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:198.51.100.9', '198.51.100.0/24'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['::1', '0:0:0::/48'],
    [null, 'unknown'],
    ['not an address', 'unknown'],
  ])('%s is %s', (ip, place) => {
    expect(placeOf(ip)).toBe(place);
  });

  it('counts the same browser from the same network as one device, whatever the exact address or version', () => {
    const firefox = (v: number) => `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
    expect(deviceKey(firefox(127), '203.0.113.5')).toBe(deviceKey(firefox(128), '203.0.113.200'));
    expect(deviceKey(firefox(128), '203.0.113.5')).not.toBe(deviceKey(firefox(128), '203.0.114.5'));
    expect(deviceKey(firefox(128), '203.0.113.5')).not.toBe(deviceKey('Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36', '203.0.113.5'));
  });
});
