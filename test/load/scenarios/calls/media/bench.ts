import { assertJanusInstalled } from '../../../../support/janus.js';
import { assertNetnsSupport } from '../../../../support/netns.js';
import { createBacking, freePort, startNodeProcess, type NodeProcess } from '../../../../support/pairly.js';
import { choiceFlag, envFlag, numberFlag, parseCli } from '../../../lib/args.js';
import { Cleanups } from '../../../lib/cleanups.js';
import { ProgressPrinter } from '../../../lib/progress.js';
import { BENCH_SERVER_ENV } from '../../../lib/server-env.js';
import { startBenchJanus } from '../janus.js';
import { MEDIA_USAGE, header, mediaFlags, mediaOptions, runSteps, selfCpu } from './cli.js';
import { openBareDriver, openPairlyDriver, type CallDriver } from './drivers.js';
import { MediaPeersProcess } from './peers-client.js';
import { GENERATOR, JANUS, NODES, PEERS } from './report.js';
import { janusPids, pidCpu } from './step.js';

/**
 * `npm run bench -- calls --media [flags]`: starts everything itself and
 * measures calls with real media.
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

const USAGE = `usage: npm run bench -- calls --media [flags]
${MEDIA_USAGE}
  --nodes N              Pairly node processes (cluster mode: local PostgreSQL + Redis, own database and prefix; default 2)
  --baseline bare|none   also run the bare Janus baseline before each Pairly step (default bare)
  --env KEY=VALUE        extra setting for the Pairly nodes (repeatable)
Needs root (a network namespace), Debian's janus, and @roamhq/wrtc (a devDependency).`;

const NODE_ENV = {
  ...BENCH_SERVER_ENV,
  SOCKET_EVENTS_PER_SECOND: '10000',
  LOG_LEVEL: 'silent',
};

export async function benchMedia(argv: string[]): Promise<number> {
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
  const baseline = choiceFlag('baseline', values.baseline, ['bare', 'none'], USAGE);
  const extraEnv = envFlag(values.env, USAGE);
  try {
    assertNetnsSupport();
    assertJanusInstalled();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }

  const printer = new ProgressPrinter();
  const cleanups = new Cleanups((m) => printer.log(m));
  let interrupted = false;
  cleanups.onSigint(undefined, () => (interrupted = true));

  printer.log(header('bench', f, [...(baseline === 'bare' ? ['bare Janus'] : []), `Pairly (${nodeCount} node(s))`]));
  try {
    const { netns, janus, instances, stop } = await startBenchJanus((m) => printer.log(m));
    cleanups.add(stop);

    const backing = await createBacking();
    cleanups.add(() => backing.cleanup());
    const nodes: NodeProcess[] = [];
    for (let i = 0; i < nodeCount; i++) {
      const node = await startNodeProcess(
        { ...backing.env, ...NODE_ENV, SFU_JANUS_INSTANCES: instances, ...(i === 0 ? { RUN_WORKERS: 'true' } : {}), ...extraEnv },
        { port: freePort() },
      );
      cleanups.add(async () => void (await node.stop()));
      nodes.push(node);
    }
    printer.log(`Pairly nodes ${nodes.map((n) => n.url).join(', ')} (database ${new URL(backing.databaseUrl).pathname.slice(1)})`);

    const peers = await MediaPeersProcess.start(netns.spawn, f.peers);
    cleanups.add(() => peers.stop());
    printer.log(`media peers: pid ${peers.pid} in the namespace, @roamhq/wrtc ${peers.wrtcVersion}`);

    const maxCalls = Math.max(...f.steps);
    const drivers: CallDriver[] = [];
    if (baseline === 'bare') drivers.push(openBareDriver(janus));
    const pairly = await openPairlyDriver(
      nodes.map((n) => n.url),
      maxCalls,
      { timeoutMs: f.step.timeoutMs, setupConcurrency: f.setupConcurrency, log: (m) => printer.log(m) },
    );
    drivers.push(pairly);
    cleanups.add(() => Promise.all(drivers.map((d) => d.close())).then(() => undefined));

    const cpu = [
      pidCpu(JANUS, () => janusPids(netns.name)),
      pidCpu(PEERS, () => [peers.pid]),
      pidCpu(NODES, () => nodes.map((n) => n.child.pid!)),
      selfCpu(GENERATOR),
    ];
    const { failed } = await runSteps(drivers, peers, f, cpu, printer, () => interrupted);
    await cleanups.run();
    return interrupted ? 130 : failed ? 1 : 0;
  } catch (err) {
    printer.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanups.run();
    return 1;
  }
}
