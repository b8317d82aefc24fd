import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { BodyTransport } from './arbitraries.js';

/** Turning generated values into bytes on the wire, including the ways a careless client gets it wrong. */

export const stringify = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

/** A path segment: percent-encoded, or (now and then) raw bytes a careful client would never send. */
export function segment(v: unknown, raw: string | null): string {
  if (raw !== null) return raw;
  try {
    return encodeURIComponent(stringify(v));
  } catch {
    return '%ED%A0%80'; // a lone surrogate has no UTF-8: send the bytes of one
  }
}

export function queryString(q: unknown): string {
  if (q === undefined) return '';
  const p = new URLSearchParams();
  if (q === null || typeof q !== 'object' || Array.isArray(q)) {
    p.append(stringify(q), '1');
  } else {
    for (const [k, v] of Object.entries(q)) {
      for (const one of Array.isArray(v) ? v : [v]) p.append(k, stringify(one));
    }
  }
  try {
    return `?${p.toString()}`;
  } catch {
    return '?q=%ED%A0%80';
  }
}

export function encodeBody(body: unknown, transport: BodyTransport): { headers: Record<string, string>; bytes?: Buffer } {
  const json = JSON.stringify(body);
  const asJson = { 'content-type': 'application/json' };
  switch (transport) {
    case 'json':
      return json === undefined ? { headers: {} } : { headers: asJson, bytes: Buffer.from(json) };
    case 'gzip-json':
      return { headers: { ...asJson, 'content-encoding': 'gzip' }, bytes: gzipSync(json ?? '') };
    case 'gzip-garbage':
      return { headers: { ...asJson, 'content-encoding': 'gzip' }, bytes: Buffer.from('not gzip at all {}') };
    case 'br-garbage':
      return { headers: { ...asJson, 'content-encoding': 'br' }, bytes: Buffer.concat([brotliCompressSync('{"a":1}').subarray(0, 3), Buffer.from('garbage')]) };
    case 'deflate-garbage':
      return { headers: { ...asJson, 'content-encoding': 'deflate' }, bytes: Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00]) };
    case 'unknown-encoding':
      return { headers: { ...asJson, 'content-encoding': 'zstd' }, bytes: Buffer.from('{}') };
    case 'broken-json':
      return { headers: asJson, bytes: Buffer.from('{"a":') };
    case 'text-plain':
      return { headers: { 'content-type': 'text/plain' }, bytes: Buffer.from('hello') };
    case 'oversized':
      return { headers: asJson, bytes: Buffer.from(JSON.stringify({ x: 'x'.repeat(300_000) })) };
  }
}

/** Header values fetch refuses to send (NUL, CR, LF, beyond Latin-1) are left out: no server could see them. */
export const sendableHeader = (v: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v);
