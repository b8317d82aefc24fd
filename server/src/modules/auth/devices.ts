import { isIPv4, isIPv6 } from 'node:net';
import { describeUserAgent } from '../../../../shared/devices.js';

/**
 * How a person recognises a session: the browser and system its user agent
 * names ("Firefox on Linux"), and a coarse place, the address's network (an
 * IPv4 /24, an IPv6 /48) until a geo-IP look-up exists.
 */
export const deviceOf = describeUserAgent;

export function placeOf(ip: string | null): string {
  const v4 = ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (v4 && isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (ip && isIPv6(ip)) {
    const groups = expandIPv6(ip);
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return 'unknown';
}

/** What a login notice compares: the same device summary from the same network is no new device. */
export function deviceKey(userAgent: string | null, ip: string | null): string {
  return `${deviceOf(userAgent)}|${placeOf(ip)}`;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => (parseInt(g, 16) || 0).toString(16));
}
