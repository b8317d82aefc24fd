import { readControlInfo } from '../control.js';
import type { DataDirInUseError } from '../lockfile.js';

/** A failure the operator can act on: printed as one line, no stack. */
export class CliError extends Error {}

/**
 * Calls the embedded server that holds the data dir (see control.ts): on
 * loopback, with the secret it wrote into the data dir. `command` names the
 * CLI in messages. Answers the parsed JSON body of a 2xx; anything else is a
 * CliError with the server's own message.
 */
export async function askRunningServer<T>(inUse: DataDirInUseError, command: string, path: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<T> {
  const control = readControlInfo(inUse.dataDir);
  if (!control || control.pid !== inUse.pid) {
    throw new CliError(`${inUse.message.replace(/; stop it first$/, '')}, which takes no ${command} requests; stop it and run this again`);
  }
  let res: Response;
  try {
    res = await fetch(`${control.url}${path}`, {
      method: init.method,
      headers: { authorization: `Bearer ${control.secret}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (err) {
    throw new CliError(`the server holding ${inUse.dataDir} (process ${control.pid}) did not answer at ${control.url}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as (T & { error?: { message?: string } }) | undefined;
  if (!res.ok || !body) throw new CliError(`the running server refused: ${body?.error?.message ?? `HTTP ${res.status}`}`);
  return body;
}
