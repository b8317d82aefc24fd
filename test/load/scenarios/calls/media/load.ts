import { spawnSync } from 'node:child_process';
import { choiceFlag, nodeUrls, parseCli, usageError } from '../../../lib/args.js';
import { Cleanups } from '../../../lib/cleanups.js';
import { ProgressPrinter } from '../../../lib/progress.js';
import { MEDIA_USAGE, header, mediaFlags, mediaOptions, runSteps, selfCpu } from './cli.js';
import { openBareDriver, openPairlyDriver, type CallDriver } from './drivers.js';
import { MediaPeersProcess, spawnInNetns } from './peers-client.js';
import { GENERATOR, JANUS, NODES, PEERS } from './report.js';
import { janusPids, metricsCpu, pidCpu } from './step.js';

/**
 * `npm run load -- calls --media --url U [--url U] [flags]`: calls with
 * media against Pairly nodes that
 * are already running with SFU_JANUS_INSTANCES from `node --import tsx
 * test/load/janus.ts`. The media peers run inside that script's network
 * namespace (--netns, or the only pairly-* namespace there is); Janus's CPU
 * is read from /proc for its pid in the namespace, the nodes' from /metrics.
 */

const USAGE = `usage: npm run load -- calls --media --url URL [--url URL ...] [flags]
  --url URL              a running Pairly node (127.0.0.0/8 only); repeat for several nodes
  --netns NAME           the namespace test/load/janus.ts printed (default: the only pairly-* namespace)
${MEDIA_USAGE}
  --baseline bare|none   also run the bare Janus baseline before each step (default none); needs the
                         SFU_JANUS_INSTANCES value the nodes run with in this command's environment too
Start the pieces first, e.g.:
  node --import tsx test/load/janus.ts          # prints SFU_JANUS_INSTANCES='...'
  SFU_JANUS_INSTANCES='...' SOCKET_EVENTS_PER_SECOND=10000 SIGNUP_MAX_PER_IP=1000000 HTTP_MAX_REQUESTS_PER_IP=1000000 npm run cluster -- --nodes 2
Needs root (ip netns exec) and @roamhq/wrtc (a devDependency).`;

function namespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

export async function loadMedia(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      ...mediaOptions,
      url: { type: 'string', multiple: true },
      netns: { type: 'string' },
      baseline: { type: 'string', default: 'none' },
    },
    allowPositionals: false,
    strict: true,
  });
  const f = mediaFlags(values, USAGE);
  if (process.getuid?.() !== 0) usageError('--media runs the media peers with `ip netns exec`: run as root', USAGE);
  const candidates = namespaces().filter((n) => n.startsWith('pairly-'));
  const netns = values.netns ?? (candidates.length === 1 ? candidates[0]! : undefined);
  if (!netns) usageError(`give --netns (pairly-* namespaces here: ${candidates.join(', ') || 'none: start test/load/janus.ts'})`, USAGE);
  if (!namespaces().includes(netns)) usageError(`no network namespace "${netns}"`, USAGE);
  if (janusPids(netns).length === 0) usageError(`no janus process in namespace ${netns}`, USAGE);
  const baseline = choiceFlag('baseline', values.baseline, ['bare', 'none'], USAGE);
  let bareJanus: { apiUrl: string; wsUrl: string; adminKey: string } | undefined;
  if (baseline === 'bare') {
    try {
      const [first] = JSON.parse(process.env.SFU_JANUS_INSTANCES ?? '') as Array<{ apiUrl: string; clientUrl: string; adminSecret: string }>;
      bareJanus = { apiUrl: first!.apiUrl, wsUrl: first!.clientUrl, adminKey: first!.adminSecret };
    } catch {
      usageError('--baseline bare needs SFU_JANUS_INSTANCES (as test/load/janus.ts printed it) in the environment', USAGE);
    }
  }
  const urls = await nodeUrls(values.url, USAGE);

  const printer = new ProgressPrinter();
  const drivers: CallDriver[] = [];
  let peers: MediaPeersProcess | undefined;
  let interrupted = false;
  const cleanups = new Cleanups((m) => printer.log(m));
  cleanups.add(() => peers?.stop());
  cleanups.add(() => Promise.all(drivers.map((d) => d.close().catch(() => undefined))));
  cleanups.onSigint('interrupted: closing calls', () => (interrupted = true));

  printer.log(header('load', f, [...(bareJanus ? ['bare Janus'] : []), `${urls.length} Pairly node(s)`]));
  try {
    peers = await MediaPeersProcess.start(spawnInNetns(netns), f.peers);
    printer.log(`media peers: pid ${peers.pid} in namespace ${netns}, @roamhq/wrtc ${peers.wrtcVersion}; Janus pid ${janusPids(netns).join(', ')}`);
    if (bareJanus) drivers.push(openBareDriver(bareJanus));
    drivers.push(
      await openPairlyDriver(urls, Math.max(...f.steps), { timeoutMs: f.step.timeoutMs, setupConcurrency: f.setupConcurrency, log: (m) => printer.log(m) }),
    );
    const cpu = [pidCpu(JANUS, () => janusPids(netns)), pidCpu(PEERS, () => [peers!.pid]), metricsCpu(NODES, urls), selfCpu(GENERATOR)];
    const { failed } = await runSteps(drivers, peers, f, cpu, printer, () => interrupted);
    await cleanups.run();
    return interrupted ? 130 : failed ? 1 : 0;
  } catch (err) {
    printer.log(`load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanups.run();
    return 1;
  }
}
