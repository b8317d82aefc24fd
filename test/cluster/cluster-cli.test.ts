import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.js';
import { createBacking, freePort, ROOT, startNodeProcess, type Backing } from '../support/pairly.js';

/**
 * `npm run cluster` as a user runs it: the command (one PID) starts the
 * server nodes and the workers process against real PostgreSQL and Redis.
 * A signal stops every child cleanly and the command exits 0; a child that
 * fails makes the command say which and exit non-zero.
 */
interface Cluster {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  ports: number[];
}

let backing: Backing | undefined;
let running: Cluster | undefined;

afterEach(async () => {
  if (running && running.proc.exitCode === null && running.proc.signalCode === null) {
    running.proc.kill('SIGKILL');
    for (const pid of childPids(running.proc.pid!)) process.kill(pid, 'SIGKILL');
  }
  running = undefined;
  await backing?.cleanup();
  backing = undefined;
});

async function startCluster(nodes: number): Promise<Cluster> {
  backing = await createBacking();
  const ports = Array.from({ length: nodes }, () => freePort());
  let out = '';
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/src/cli/cluster.ts', '--nodes', String(nodes), '--base-port', String(ports[0]), '--database-url', backing.databaseUrl],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...backing.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  running = { proc, output: () => out, exited, ports };
  await waitFor(() => out.includes('Pairly cluster is up') || proc.exitCode !== null, 60_000, 'the cluster to come up');
  expect(out).toContain('Pairly cluster is up');
  return running;
}

/** The command's direct children (node processes and the workers process), from ps. */
function childPids(parent: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function pidOf(cluster: Cluster, entry: string): number {
  const pid = childPids(cluster.proc.pid!).find((p) => {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(p)], { encoding: 'utf8' }).includes(entry);
    } catch {
      return false;
    }
  });
  if (!pid) throw new Error(`no child running ${entry}`);
  return pid;
}

const CRASH = /TypeError|Error:|unhandled|exited unexpectedly|failed/i;

describe('npm run cluster', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('stops every process cleanly on %s and exits 0', async (signal) => {
    const cluster = await startCluster(2);
    for (const port of cluster.ports) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    cluster.proc.kill(signal);
    expect(await cluster.exited, cluster.output()).toBe(0);
    const out = cluster.output();
    expect(out).not.toMatch(CRASH);
    // Each node and the workers closed their Redis and database connections before exiting.
    for (const port of cluster.ports) expect(out).toMatch(new RegExp(`\\[node-${port}\\].*"msg":"shut down"`));
    expect(out).toMatch(/\[workers\].*"msg":"workers stopped"/);
  }, 120_000);

  it('says which child died and exits non-zero', async () => {
    const cluster = await startCluster(2);
    const [first, second] = cluster.ports as [number, number];
    process.kill(pidOf(cluster, 'server/src/main.ts'), 'SIGKILL');
    await waitFor(() => /node-\d+ exited unexpectedly \(signal SIGKILL\)/.test(cluster.output()), 20_000, 'the death to be reported');
    // One node lost: the rest keeps serving, so node loss can be tried by hand.
    const alive = await Promise.all([first, second].map((p) => fetch(`http://127.0.0.1:${p}/healthz`).then((r) => r.ok, () => false)));
    expect(alive.filter(Boolean)).toHaveLength(1);

    // Without its workers process the cluster cannot work: it stops, and says why.
    process.kill(pidOf(cluster, 'workers/src/main.ts'), 'SIGKILL');
    expect(await cluster.exited).toBe(1);
    const out = cluster.output();
    expect(out).toContain('workers exited unexpectedly (signal SIGKILL)');
    expect(out).toMatch(/stopped with failures: node-\d+ \(signal SIGKILL\), workers \(signal SIGKILL\)/);
  }, 120_000);

  it('exits non-zero when a child fails while stopping', async () => {
    const cluster = await startCluster(1);
    // A node frozen (SIGSTOP) cannot stop gracefully; it dies by SIGKILL mid-stop: not a clean stop.
    const node = pidOf(cluster, 'server/src/main.ts');
    process.kill(node, 'SIGSTOP');
    cluster.proc.kill('SIGTERM');
    await waitFor(() => cluster.output().includes('stopping every process'), 20_000, 'the stop to begin');
    process.kill(node, 'SIGKILL');
    expect(await cluster.exited).toBe(1);
    expect(cluster.output()).toMatch(/stopped with failures: node-\d+ \(signal SIGKILL\)/);
  }, 120_000);

  // The cluster is "up" once the nodes answer; the workers may still be migrating when Ctrl-C comes.
  it.each(['workers/src/main.ts', 'server/src/main.ts'])('%s stopped during start-up still closes and exits 0', async (entry) => {
    backing = await createBacking();
    const child = await startNodeProcess({ ...backing.env, LOG_LEVEL: 'info' }, { entry, waitForHealth: false });
    await waitFor(() => child.output().includes('migration applied'), 30_000, 'start-up to be under way');
    expect(await child.stop(), child.output()).toBe(0);
    expect(child.output()).toMatch(entry.startsWith('workers') ? /"msg":"workers stopped"/ : /"msg":"shut down"/);
  }, 60_000);
});
