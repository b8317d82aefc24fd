import { pathToFileURL } from 'node:url';
import { assertJanusInstalled, startJanus } from '../../support/janus.js';
import { assertNetnsSupport, createNetns } from '../../support/netns.js';
import { createBacking, freePort, startNodeProcess, type NodeProcess } from '../../support/pairly.js';
import { numberFlag, parseCli, usageError } from './args.js';
import { MEDIA_USAGE, header, mediaFlags, mediaOptions, runSteps, selfCpu } from './calls-media-cli.js';
import { openBareDriver, openPairlyDriver, type CallDriver } from './calls-media-drivers.js';
import { GENERATOR, JANUS, NODES, PEERS } from './calls-media-report.js';
import { janusPids, pidCpu } from './calls-media.js';
import { MediaPeersProcess } from './media-peers-client.js';
import { ProgressPrinter } from './progress.js';

/**
 * `npm run bench -- calls --media [flags]` (bench.ts hands this script the
 * command line): starts everything itself and measures calls with real media.
 *
 *   root namespace                                  namespace pairly-<pid>-<hex> (test/support/netns.ts)
 *   this process: Socket.IO clients (callers, callees)
 *      │  ws 127.0.0.1                             ┌────────────────────────────────────────────┐
 *   Pairly nodes ×2 (cluster mode, own DB + Redis   │ Janus (VideoRoom)  ◄─WebSocket─  media peers│
 *   prefix) ──HTTP API across the veth───────────► │   ▲ ═══ SRTP over 10.255.N.1 ═══►  (wrtc)   │
 *   this process ──stdin/stdout JSON lines───────────────────────────────────────────► │          │
 *                                                  └────────────────────────────────────────────┘
 *
 * For each --calls step: the bare baseline (rooms created directly on Janus
 * by this process, no Pairly) and then Pairly (call:invite → accept → the
 * credentials Pairly hands out), with the same media-peer process.
 */

export const USAGE = `usage: npm run bench -- calls --media [flags]
${MEDIA_USAGE}
  --nodes N              Pairly node processes (cluster mode: local PostgreSQL + Redis, own database and prefix; default 2)
  --baseline bare|none   also run the bare Janus baseline before each Pairly step (default bare)
  --env KEY=VALUE        extra setting for the Pairly nodes (repeatable)
Needs root (a network namespace), Debian's janus, and @roamhq/wrtc (a devDependency).`;

const NODE_ENV = {
  ARGON2_MEMORY_KIB: '1024',
  SOCKET_EVENTS_PER_SECOND: '10000',
  LOG_LEVEL: 'silent',
};

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      ...mediaOptions,
      nodes: { type: 'string', default: '2' },
      baseline: { type: 'string', default: 'bare' },
      env: { type: 'string', multiple: true },
    },
    allowPositionals: false,
    strict: true,
  });
  const f = mediaFlags(values, USAGE);
  const nodeCount = numberFlag('nodes', values.nodes, 1, 4, USAGE);
  if (values.baseline !== 'bare' && values.baseline !== 'none') usageError('--baseline must be bare or none', USAGE);
  const extraEnv: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) usageError(`--env wants KEY=VALUE, got "${kv}"`, USAGE);
    extraEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  try {
    assertNetnsSupport();
    assertJanusInstalled();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }

  const printer = new ProgressPrinter();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch((err) => printer.log(`cleanup failed: ${err}`));
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    printer.log('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  printer.log(header('bench', f, [...(values.baseline === 'bare' ? ['bare Janus'] : []), `Pairly (${nodeCount} node(s))`]));
  try {
    const netns = createNetns();
    cleanups.push(() => netns.remove());
    const janus = await startJanus(netns);
    cleanups.push(() => janus.stop());
    printer.log(`Janus ${janus.apiUrl} (pid ${janus.child.pid}) in namespace ${netns.name}`);

    const backing = await createBacking();
    cleanups.push(() => backing.cleanup());
    const instances = [{ id: 'janus-bench', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }];
    const nodes: NodeProcess[] = [];
    for (let i = 0; i < nodeCount; i++) {
      const node = await startNodeProcess(
        { ...backing.env, ...NODE_ENV, SFU_JANUS_INSTANCES: JSON.stringify(instances), ...(i === 0 ? { RUN_WORKERS: 'true' } : {}), ...extraEnv },
        { port: freePort() },
      );
      cleanups.push(async () => void (await node.stop()));
      nodes.push(node);
    }
    printer.log(`Pairly nodes ${nodes.map((n) => n.url).join(', ')} (database ${new URL(backing.databaseUrl).pathname.slice(1)})`);

    const peers = await MediaPeersProcess.start(netns.spawn, f.peers);
    cleanups.push(() => peers.stop());
    printer.log(`media peers: pid ${peers.pid} in the namespace, @roamhq/wrtc ${peers.wrtcVersion}`);

    const maxCalls = Math.max(...f.steps);
    const drivers: CallDriver[] = [];
    if (values.baseline === 'bare') drivers.push(openBareDriver(janus));
    const pairly = await openPairlyDriver(
      nodes.map((n) => n.url),
      maxCalls,
      { timeoutMs: f.step.timeoutMs, setupConcurrency: f.setupConcurrency, log: (m) => printer.log(m) },
    );
    drivers.push(pairly);
    cleanups.push(() => Promise.all(drivers.map((d) => d.close())).then(() => undefined));

    const cpu = [
      pidCpu(JANUS, () => janusPids(netns.name)),
      pidCpu(PEERS, () => [peers.pid]),
      pidCpu(NODES, () => nodes.map((n) => n.child.pid!)),
      selfCpu(GENERATOR),
    ];
    const { failed } = await runSteps(drivers, peers, f, cpu, printer, () => interrupted);
    await cleanup();
    return interrupted ? 130 : failed ? 1 : 0;
  } catch (err) {
    printer.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(await main(process.argv.slice(2)));
