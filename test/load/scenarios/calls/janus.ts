import { assertJanusInstalled, startJanus, type JanusProcess } from '../../../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../../../support/netns.js';

/**
 * A real Janus for a calls bench, in a network namespace of its own (Janus
 * never sends media over loopback; test/support/netns.ts), and the
 * SFU_JANUS_INSTANCES value Pairly's nodes take to use it. Needs root and
 * Debian's janus.
 */
export interface BenchJanus {
  netns: TestNetns;
  janus: JanusProcess;
  /** SFU_JANUS_INSTANCES for the nodes. */
  instances: string;
  stop(): Promise<void>;
}

export async function startBenchJanus(log: (m: string) => void): Promise<BenchJanus> {
  assertNetnsSupport();
  assertJanusInstalled();
  const netns = createNetns();
  let janus: JanusProcess;
  try {
    janus = await startJanus(netns);
  } catch (err) {
    netns.remove();
    throw err;
  }
  log(`Janus ${janus.apiUrl} (pid ${janus.child.pid}) in namespace ${netns.name}`);
  const instances = JSON.stringify([{ id: 'janus-bench', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }]);
  return {
    netns,
    janus,
    instances,
    async stop() {
      await janus.stop();
      netns.remove();
    },
  };
}
