import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded server's control channel for the CLI. PGlite is one
 * process's database, so while the server holds the data dir,
 * `npm run admin:create` asks the server instead of opening it: on loopback,
 * with the secret the server wrote into the data dir (mode 0600, as the JWT
 * secret). Whoever can read the data dir can read the database anyway, so
 * the secret gives nothing more. A new secret at every start; the file goes
 * when the server stops.
 */
export interface ControlInfo {
  pid: number;
  url: string;
  secret: string;
}

const FILE = 'control.json';

export function newControlSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes the file; returns its remover. */
export function writeControlInfo(dataDir: string, info: ControlInfo): () => void {
  const file = join(dataDir, FILE);
  // Removed first: `mode` applies only to a file being created.
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600, flag: 'wx' });
  return () => rmSync(file, { force: true });
}

export function readControlInfo(dataDir: string): ControlInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<ControlInfo>;
    if (typeof info.pid !== 'number' || typeof info.url !== 'string' || typeof info.secret !== 'string') return undefined;
    return { pid: info.pid, url: info.url, secret: info.secret };
  } catch {
    return undefined;
  }
}

/** The URL the CLI calls: loopback when the server listens on every address. */
export function controlUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
