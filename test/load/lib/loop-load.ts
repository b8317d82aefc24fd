import { LOOP_USAGE, loopFlags, loopOptions, nodeUrls, parseCli } from './args.js';
import { Cleanups } from './cleanups.js';
import { machineBusyPct, machineCpu, scrapeProbe, sumUsage, usageOf, type ProcessSample, type ServerUsage } from './probe.js';
import { ProgressPrinter } from './progress.js';
import { runLoop } from './runner.js';
import type { LoopRun, RequestLoop } from './scenario.js';
import { cpuNote, errorLines, nodeTable, setupLine, summaryTable } from './summary.js';

/**
 * `npm run load -- <scenario> --url http://127.0.0.1:4001 [--url ...] [flags]`
 * for a request/ack scenario: the bench client loop against servers that are
 * already running (e.g. `npm run cluster -- --nodes 3`). Clients are spread
 * round-robin over the URLs; each is a user signed up on the node it talks
 * to. Server memory and CPU come from each node's /metrics. Exit code 1 when
 * any request failed.
 */

const loadUsage = (name: string) => `usage: npm run load -- ${name} --url URL [--url URL ...] [flags]
  --url URL    a running Pairly node (127.0.0.0/8 only); repeat for several nodes
${LOOP_USAGE}
The nodes limit each socket to SOCKET_EVENTS_PER_SECOND (default 20): start them
with a higher value (SOCKET_EVENTS_PER_SECOND=10000 npm run cluster -- --nodes 3)
or pace the clients with --rate. Every client is signed up from this machine's
address: raise SIGNUP_MAX_PER_IP and HTTP_MAX_REQUESTS_PER_IP on the nodes too.`;

export async function loadLoop(scenario: { name: string; loop: RequestLoop; usageNote?: string }, argv: string[]): Promise<number> {
  const USAGE = loadUsage(scenario.name) + (scenario.usageNote ? `\n${scenario.usageNote}` : '');
  const { values } = parseCli(USAGE, {
    args: argv,
    options: { ...loopOptions, url: { type: 'string', multiple: true } },
    allowPositionals: false,
    strict: true,
  });
  const flags = loopFlags(values, USAGE);
  const urls = await nodeUrls(values.url, USAGE);

  const printer = new ProgressPrinter();
  const sampleAll = () => Promise.all(urls.map((u) => scrapeProbe(u)));
  let run: LoopRun | undefined;
  let stopRequested = false;
  const cleanups = new Cleanups((m) => printer.log(m));
  cleanups.add(() => run?.close());
  cleanups.onSigint('interrupted: closing sockets', () => (stopRequested = true));

  printer.log(
    `load ${scenario.name}: ${flags.clients} clients × ${flags.inflight} in flight over ${urls.length} node(s), ` +
      `${flags.warmupS}s warm-up + ${flags.durationS}s${flags.ratePerLoop ? `, ≤${flags.ratePerLoop}/s per slot` : ''}`,
  );
  try {
    run = await scenario.loop.open({
      urls,
      clients: flags.clients,
      auth: true,
      timeoutMs: flags.timeoutMs,
      setupConcurrency: flags.setupConcurrency,
      log: (m) => printer.log(`[${scenario.name}] ${m}`),
    });
  } catch (err) {
    printer.log(`set-up failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (stopRequested) return 130;

  const before = await sampleAll();
  let windowStart: Promise<Array<ProcessSample | undefined>> | undefined;
  let machine0: ReturnType<typeof machineCpu>;
  const result = await runLoop(run, {
    label: `${scenario.name} ×${urls.length}`,
    inflight: flags.inflight,
    durationS: flags.durationS,
    warmupS: flags.warmupS,
    ratePerLoop: flags.ratePerLoop,
    onProgress: (s) => printer.update(s),
    onMeasureStart: () => {
      machine0 = machineCpu();
      windowStart = sampleAll();
    },
  });
  const machinePct = machineBusyPct(machine0, machineCpu());
  printer.end();
  const after = await sampleAll();
  const starts = (await windowStart) ?? [];
  await run.close();

  const perNode: Array<{ url: string; usage: ServerUsage | undefined }> = urls.map((url, i) => {
    const [b, s, a] = [before[i], starts[i], after[i]];
    return { url, usage: b && a ? usageOf(b, s, a) : undefined };
  });
  const measured = perNode.flatMap((n) => (n.usage ? [n.usage] : []));
  const server = measured.length === urls.length ? sumUsage(measured) : undefined;
  const target = urls.length === 1 ? urls[0]! : `${urls.length} nodes`;

  const lines = ['', summaryTable([{ scenario: scenario.name, target, run: result, machinePct, ...(server ? { server } : {}) }])];
  if (urls.length > 1) lines.push('', nodeTable(perNode));
  lines.push('', cpuNote(), setupLine(target, run.setupMs), ...errorLines([{ scenario: scenario.name, target, run: result }]));
  if (result.errorCodes.RATE_LIMITED) {
    lines.push('RATE_LIMITED: the nodes allow SOCKET_EVENTS_PER_SECOND per socket; raise it on the nodes or pass --rate.');
  }
  console.log(lines.join('\n'));
  return result.errors > 0 ? 1 : 0;
}
