import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Claims `dir` for this process by creating it (mkdir is atomic: one process wins) with its pid inside;
 * false when another live process holds it. A claim whose process is gone is taken over. Returns the
 * release, which also runs when this process exits normally.
 */
export function claimDir(dir: string): (() => void) | false {
  for (let tries = 0; tries < 2; tries++) {
    try {
      mkdirSync(dir);
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(`${dir}/pid`, 'utf8'));
      } catch {
        return false; // being claimed right now: its pid is not written yet
      }
      if (!Number.isInteger(holder) || holder <= 0 || alive(holder)) return false;
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    writeFileSync(`${dir}/pid`, String(process.pid));
    const release = () => {
      process.off('exit', release);
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', release);
    return release;
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
