import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Place } from './risk.rules.js';

interface GeoIpLite {
  lookup(ip: string): { country: string; ll: [number, number] } | null;
}

/**
 * Addresses that have no place on a map: loopback, private networks,
 * link-local, carrier-grade NAT, "this network". They are answered without
 * loading the database.
 */
const PLACELESS = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PLACELESS.addSubnet(net, bits, 'ipv4');
}
PLACELESS.addAddress('::', 'ipv6');
PLACELESS.addAddress('::1', 'ipv6');
PLACELESS.addSubnet('fc00::', 7, 'ipv6');
PLACELESS.addSubnet('fe80::', 10, 'ipv6');

export function isPlaceless(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIPv4(v4)) return PLACELESS.check(v4, 'ipv4');
  if (isIPv6(ip)) return PLACELESS.check(ip, 'ipv6');
  return true;
}

/**
 * The country and coarse coordinates of an address, from geoip-lite's
 * bundled GeoLite data. Loading that data costs about 110 MB of memory and
 * half a second, so it is loaded on the first look-up of a public address
 * (never for loopback or private ones, never when off): an idle node, or one
 * that only ever sees addresses behind its own network, does not pay for it.
 */
export class GeoLocator {
  private db: Promise<GeoIpLite> | undefined;

  constructor(private readonly enabled: boolean) {}

  /** Whether the database was loaded (for tests and the metrics of memory). */
  get loaded(): boolean {
    return this.db !== undefined;
  }

  async place(ip: string | null): Promise<Place | null> {
    if (!this.enabled || !ip || isPlaceless(ip)) return null;
    this.db ??= import('geoip-lite').then((m) => (m.default ?? m) as GeoIpLite);
    const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const hit = (await this.db).lookup(v4);
    if (!hit || !hit.country) return null;
    return { country: hit.country, lat: hit.ll[0], lon: hit.ll[1] };
  }
}
