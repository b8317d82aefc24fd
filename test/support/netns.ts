import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * A network namespace of a test's own, for real media (Janus, Chromium):
 *
 *   root namespace (this test process)      namespace pairly-<pid>-<hex>
 *   ┌──────────────────────────────┐        ┌──────────────────────────────────┐
 *   │ pairly<N>  10.255.N.2/24     │◄─veth─►│ pairly<N>n 10.255.N.1/24         │
 *   │ (Janus HTTP API requests)    │        │ lo up; Janus, Chromium, pages    │
 *   └──────────────────────────────┘        │ no default route: nothing leaves │
 *                                           └──────────────────────────────────┘
 *
 * Media never touches loopback (Janus ignores it) nor the machine's external
 * interface: it flows between the namespace's own veth address and itself.
 * The only traffic crossing the veth is this test process calling Janus's
 * HTTP API on 10.255.N.1. N (1..254) is claimed by creating the root-side
 * interface `pairly<N>`: interface names are unique, so two test files
 * running side by side never share a subnet. Deleting the namespace deletes
 * both veth ends.
 */
export interface TestNetns {
  name: string;
  /** Address inside the namespace (Janus, Chromium, the page server). */
  innerIp: string;
  /** The root-namespace end of the veth (this process). */
  hostIp: string;
  /** The veth end inside the namespace. */
  innerIf: string;
  /**
   * Takes the root-namespace end of the veth down or up: down, this process
   * has no route to the namespace (requests fail at once, nothing reaches
   * Janus), as when an SFU host drops off the network.
   */
  setLink(up: boolean): void;
  /** Spawns a command inside the namespace. `ip netns exec` execs it, so the child's pid is the command's. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Kills whatever still runs inside and deletes the namespace. Synchronous and idempotent (also runs at process exit). */
  remove(): void;
}

const PREFIX = 'pairly-';

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Fails with a message that says what is missing, so a test fails instead of skipping. */
export function assertNetnsSupport(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('media tests need root (they create a network namespace with `ip netns add`); run them as root, as CI does');
  }
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`media tests need iproute2's \`ip netns\` (apt-get install iproute2): ${r.error?.message ?? r.stderr.trim()}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killInside(name: string): void {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
  for (const pid of (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Namespaces left by test processes that died without cleaning up (name carries the creator's pid). */
function sweepStale(): void {
  for (const line of ip(['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(/^pairly-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
    killInside(name);
    spawnSync('ip', ['netns', 'del', name]);
  }
}

function usedSubnets(): Set<number> {
  const used = new Set<number>();
  const text = ip(['-4', '-o', 'addr', 'show']) + ip(['-4', 'route', 'show', 'table', 'all']);
  for (const m of text.matchAll(/\b10\.255\.(\d+)\./g)) used.add(Number(m[1]));
  return used;
}

function disableIpv6(path: string): void {
  // No IPv6 link-local chatter across the veth; Janus and Chromium use the IPv4 addresses only.
  if (existsSync(path)) writeFileSync(path, '1');
}

export function createNetns(): TestNetns {
  assertNetnsSupport();
  sweepStale();
  const name = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  ip(['netns', 'add', name]);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    killInside(name);
    spawnSync('ip', ['netns', 'del', name]);
  };
  process.on('exit', remove);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    const used = usedSubnets();
    const candidates = Array.from({ length: 254 }, (_, i) => i + 1).filter((n) => !used.has(n));
    let n: number | undefined;
    for (const c of candidates.sort(() => Math.random() - 0.5).slice(0, 20)) {
      try {
        ip(['link', 'add', `pairly${c}`, 'type', 'veth', 'peer', 'name', `pairly${c}n`, 'netns', name]);
        n = c;
        break;
      } catch (err) {
        if (!/exists/i.test((err as Error).message)) throw err;
      }
    }
    if (n === undefined) throw new Error('no free 10.255.N.0/24 subnet for a test namespace');
    const hostIf = `pairly${n}`;
    const innerIf = `pairly${n}n`;
    const hostIp = `10.255.${n}.2`;
    const innerIp = `10.255.${n}.1`;
    disableIpv6(`/proc/sys/net/ipv6/conf/${hostIf}/disable_ipv6`);
    spawnSync('ip', ['netns', 'exec', name, 'sh', '-c', `[ -e /proc/sys/net/ipv6/conf/${innerIf}/disable_ipv6 ] && echo 1 > /proc/sys/net/ipv6/conf/${innerIf}/disable_ipv6`]);
    ip(['addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', name, 'addr', 'add', `${innerIp}/24`, 'dev', innerIf]);
    ip(['-n', name, 'link', 'set', innerIf, 'up']);
    return {
      name,
      innerIp,
      hostIp,
      innerIf,
      setLink: (up) => void ip(['link', 'set', hostIf, up ? 'up' : 'down']),
      spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', name, command, ...args], options),
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}
