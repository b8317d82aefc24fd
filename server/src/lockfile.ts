import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The data dir is held by another live process (a running server, or another CLI). */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly what: string,
  ) {
    super(`${dataDir} is in use by process ${pid} (${what}); stop it first`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * PGlite is one process's database: a second process opening the same
 * directory would corrupt it. The embedded server and the CLI take this lock.
 */
export function lockDataDir(dataDir: string, what: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'pairly.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid} ${what}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pid, ...rest] = readFileSync(file, 'utf8').trim().split(' ');
      if (isAlive(Number(pid))) {
        throw new DataDirInUseError(dataDir, Number(pid), rest.join(' '));
      }
      rmSync(file, { force: true }); // stale lock from a crashed process
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
