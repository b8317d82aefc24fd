import { LOOP_USAGE, assertLoopback, loopFlags, loopOptions, parseCli, usageError } from './lib/args.js';
import { machineBusyPct, machineCpu, scrapeProbe, sumUsage, usageOf, type ProcessSample, type ServerUsage } from './lib/probe.js';
import { ProgressPrinter } from './lib/progress.js';
import { runLoop } from './lib/runner.js';
import { loadScenario, scenarioNames, type ScenarioRun } from './lib/scenario.js';
import { cpuNote, errorLines, setupLine, summaryTable } from './lib/summary.js';

/**
 * `npm run load -- <scenario> --url http://127.0.0.1:4001 [--url ...] [flags]`:
 * the bench client loop against servers that are already running (e.g.
 * `npm run cluster -- --nodes 3`). Clients are spread round-robin over the
 * URLs; each is a user signed up on the node it talks to. Server memory and
 * CPU come from each node's /metrics. Exit code 1 when any request failed.
 */

// Chat has its own script (a total rate over all clients, ack and delivery
// latency, lost messages, receipts, --priced, --nodes): hand it the command line.
if (process.argv[2] === 'chat') {
  const { main } = await import('./lib/chat-load.js');
  process.exit(await main(process.argv.slice(3)));
}
// Calls with media (WebRTC peers in Janus's network namespace, time to first
// frame, Janus CPU per call) have their own script too.
if (process.argv[2] === 'calls' && process.argv.includes('--media')) {
  const { main } = await import('./lib/calls-media-load.js');
  process.exit(await main(process.argv.slice(3)));
}

const USAGE = `usage: npm run load -- <scenario> --url URL [--url URL ...] [flags]
scenarios: ${scenarioNames().join(', ')}
  (calls with real media, WebRTC peers and Janus: npm run load -- calls --media --help)
  --url URL    a running Pairly node (127.0.0.0/8 only); repeat for several nodes
${LOOP_USAGE}
The nodes limit each socket to SOCKET_EVENTS_PER_SECOND (default 20): start them
with a higher value (SOCKET_EVENTS_PER_SECOND=10000 npm run cluster -- --nodes 3)
or pace the clients with --rate. Every client is signed up from this machine's
address: raise SIGNUP_MAX_PER_IP and HTTP_MAX_REQUESTS_PER_IP on the nodes too.`;

const { values, positionals } = parseCli(USAGE, {
  args: process.argv.slice(2),
  options: { ...loopOptions, url: { type: 'string', multiple: true } },
  allowPositionals: true,
  strict: true,
});
const flags = loopFlags(values, USAGE);
if (positionals.length !== 1) usageError('name one scenario', USAGE);
if (!values.url?.length) usageError('give at least one --url', USAGE);
const urls = values.url.map((u) => assertLoopback(u, USAGE));
const scenario = await loadScenario(positionals[0]!).catch((err: Error) => usageError(err.message, USAGE));

const printer = new ProgressPrinter();
for (const url of urls) {
  const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
  if (!ok) usageError(`${url}/healthz does not answer: is the node running?`, USAGE);
}

const sampleAll = () => Promise.all(urls.map((u) => scrapeProbe(u)));
let run: ScenarioRun | undefined;
let stopRequested = false;
process.once('SIGINT', () => {
  stopRequested = true;
  printer.log('interrupted: closing sockets');
  void (run?.close() ?? Promise.resolve()).finally(() => process.exit(130));
});

printer.log(
  `load ${scenario.name}: ${flags.clients} clients × ${flags.inflight} in flight over ${urls.length} node(s), ` +
    `${flags.warmupS}s warm-up + ${flags.durationS}s${flags.ratePerLoop ? `, ≤${flags.ratePerLoop}/s per slot` : ''}`,
);
try {
  run = await scenario.open({
    urls,
    clients: flags.clients,
    auth: true,
    timeoutMs: flags.timeoutMs,
    setupConcurrency: flags.setupConcurrency,
    log: (m) => printer.log(`[${scenario.name}] ${m}`),
  });
} catch (err) {
  printer.log(`set-up failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
if (stopRequested) process.exit(130);

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
if (urls.length > 1) {
  lines.push('', '| node | RSS MB before → after | heap MB before → after | CPU |', '| --- | ---: | ---: | ---: |');
  for (const { url, usage: u } of perNode) {
    lines.push(
      u
        ? `| ${url} | ${u.rssBeforeMb.toFixed(0)} → ${u.rssAfterMb.toFixed(0)} | ${u.heapBeforeMb.toFixed(0)} → ${u.heapAfterMb.toFixed(0)} | ${u.cpuPct?.toFixed(0) ?? '—'}% |`
        : `| ${url} | — | — | — |`,
    );
  }
}
lines.push('', cpuNote(), setupLine(target, run.setupMs), ...errorLines([{ scenario: scenario.name, target, run: result }]));
if (result.errorCodes.RATE_LIMITED) {
  lines.push('RATE_LIMITED: the nodes allow SOCKET_EVENTS_PER_SECOND per socket; raise it on the nodes or pass --rate.');
}
console.log(lines.join('\n'));
process.exit(result.errors > 0 ? 1 : 0);
