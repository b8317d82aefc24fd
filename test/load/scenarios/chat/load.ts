import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { http } from '../../../support/client.js';
import { nodeUrls, parseCli, usageError } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { machineBusyPct, machineCpu, scrapeProbe, type ProcessSample } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { pool } from '../../lib/sessions.js';
import { nodeTable } from '../../lib/summary.js';
import { ChatClients, connectPlan, preparePairly } from './clients.js';
import { servicesCpuUs, servicesPct } from './probe.js';
import { chatLoopFlags, chatLoopOptions, chatLoopUsage, type ChatDefaults } from './protocol.js';
import { accountingLines, chatProgressLine, cpuNote, deliveryTable, failed, resourceTable, setupLine, type ChatRow, type ServerUse } from './report.js';

/**
 * `npm run load -- chat --url U [--url U ...] [flags]`: the chat client loop
 * against Pairly nodes that are already running, embedded or a cluster. Clients are paired across the URLs (client
 * i on urls[i % n] talks to client i^1, so with two or more URLs every
 * conversation spans two nodes); each user signs up on the node it talks to.
 * Node CPU and memory come from each node's /metrics. Exit code 1 when a
 * message failed or was lost.
 */

const DEFAULTS: ChatDefaults = { clients: '200', rate: '100', settle: '2' };

const USAGE = `usage: npm run load -- chat --url URL [--url URL ...] [flags]
  --url URL              a running Pairly node (127.0.0.0/8 only); repeat for several nodes
${chatLoopUsage(DEFAULTS)}
  --admin-email E        with --priced: the admin whose adjustments fund the fans (a ledger transfer each);
                         its password in PAIRLY_ADMIN_PASSWORD (npm run admin:create makes one)
Pairly's default limits are 30 messages per 10 s per user (CHAT_MESSAGES_PER_10S), 10 per 5 s per
conversation (CHAT_FLOOD_PER_5S) and 20 events/s per socket (SOCKET_EVENTS_PER_SECOND, receipts
included). Above about 2 messages/s per sender, start the nodes with higher limits, e.g.
CHAT_MESSAGES_PER_10S=1000000 CHAT_FLOOD_PER_5S=1000000 SOCKET_EVENTS_PER_SECOND=10000 SIGNUP_MAX_PER_IP=1000000 HTTP_MAX_REQUESTS_PER_IP=1000000 npm run cluster -- --nodes 2`;

const FAN_CREDITS = 1_000_000;

export async function loadChat(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      url: { type: 'string', multiple: true },
      ...chatLoopOptions(DEFAULTS),
      'admin-email': { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  });
  const { clients, rate, concurrency, settleS, loop, role, priced } = chatLoopFlags(values, USAGE);
  const adminPassword = process.env.PAIRLY_ADMIN_PASSWORD;
  if (priced && (!values['admin-email'] || !adminPassword)) {
    usageError('--priced funds the fans through an admin: give --admin-email and set PAIRLY_ADMIN_PASSWORD', USAGE);
  }

  const urls = await nodeUrls(values.url, USAGE);

  const printer = new ProgressPrinter();
  const senders = loop.senders || clients;
  const perSender = rate / senders;
  const header =
    `load chat: ${clients} clients (${clients / 2} conversations) over ${urls.length} node(s), ${rate} msg/s in total from ${senders} senders ` +
    `(${perSender.toFixed(2)} msg/s each), ${loop.warmupS}s warm-up + ${loop.durationS}s, receipts ${loop.receipts ? 'on' : 'off'}` +
    `, ${priced ? 'priced (fan → creator 1 credit, creator → fan free)' : `users: ${role}s`}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  printer.log(header);
  if (perSender > 2) {
    printer.log(
      `note: ${perSender.toFixed(2)} msg/s per sender is above Pairly's default per-conversation limit (CHAT_FLOOD_PER_5S=10, i.e. 2/s); ` +
        `nodes running with default limits will answer RATE_LIMITED`,
    );
  }

  let chat: ChatClients | undefined;
  let stopRequested = false;
  const cleanups = new Cleanups((m) => printer.log(m));
  cleanups.add(() => chat?.close());
  cleanups.onSigint('interrupted: closing sockets', () => (stopRequested = true));

  const setupMs: Record<string, number> = {};
  try {
    const { plan, setupMs: s } = await preparePairly(urls, clients, { price: priced ? 1 : 0, role }, {
      concurrency,
      log: (m) => printer.log(`[chat] ${m}`),
      fund: (ids) => adminFund(urls[0]!, values['admin-email']!, adminPassword!, ids, concurrency),
    });
    Object.assign(setupMs, s);
    const t0 = performance.now();
    const sockets = await connectPlan(plan, concurrency);
    setupMs.connect = Math.round(performance.now() - t0);
    printer.log(`[chat] ${sockets.length} sockets connected in ${setupMs.connect} ms; settling ${settleS}s`);
    chat = new ChatClients(plan, sockets, { timeoutMs: loop.timeoutMs, receipts: loop.receipts, bodyBytes: loop.bodyBytes });
  } catch (err) {
    printer.log(`set-up failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (stopRequested) return 130;
  await sleep(settleS * 1000);

  const sampleAll = () => Promise.all(urls.map((u) => scrapeProbe(u)));
  const before = await sampleAll();
  let start: { nodes: Promise<Array<ProcessSample | undefined>>; machine: ReturnType<typeof machineCpu>; services: ReturnType<typeof servicesCpuUs> } | undefined;
  let end: typeof start;
  let load1: number | undefined;
  let rateLimitedWarned = false;
  const result = await chat.run(loop, {
    label: `chat ×${urls.length}`,
    onProgress: (s) => printer.status(chatProgressLine(s)),
    onMeasureStart: () => {
      load1 = loadavg()[0];
      start = { nodes: sampleAll(), machine: machineCpu(), services: servicesCpuUs() };
    },
    onMeasureEnd: () => {
      end = { nodes: sampleAll(), machine: machineCpu(), services: servicesCpuUs() };
    },
    onStall: (n) => printer.log(`WARNING: no send answered for 2 s with ${n} outstanding: the nodes have stalled; nothing is answered: check the nodes' logs and /readyz`),
    onNewErrorCode: (code) => {
      if (code !== 'RATE_LIMITED' || rateLimitedWarned) return;
      rateLimitedWarned = true;
      printer.log(`WARNING: the nodes answer RATE_LIMITED: ${rateLimitedAdvice(perSender, loop.receipts)}`);
    },
  });
  printer.end();
  const after = await sampleAll();
  const starts = (await start?.nodes) ?? [];
  const ends = (await end?.nodes) ?? [];
  await chat.close();

  const perNode = urls.map((url, i) => ({ url, use: nodeUse(before[i], starts[i], ends[i], after[i]) }));
  const known = perNode.flatMap((n) => (n.use ? [n.use] : []));
  const server: ServerUse | undefined =
    known.length === urls.length
      ? {
          ...(known.every((u) => u.cpuPct !== undefined) ? { cpuPct: known.reduce((a, u) => a + u.cpuPct!, 0) } : {}),
          rssBeforeMb: known.reduce((a, u) => a + u.rssBeforeMb, 0),
          rssAfterMb: known.reduce((a, u) => a + u.rssAfterMb, 0),
          heapBeforeMb: known.reduce((a, u) => a + (u.heapBeforeMb ?? 0), 0),
          heapAfterMb: known.reduce((a, u) => a + (u.heapAfterMb ?? 0), 0),
        }
      : undefined;
  const machinePct = machineBusyPct(start?.machine, end?.machine);
  const target = urls.length === 1 ? urls[0]! : `${urls.length} nodes`;
  const row: ChatRow = {
    target,
    result,
    ...(server ? { server } : {}),
    ...(start && end ? servicesPct(start.services, end.services) : {}),
    ...(machinePct !== undefined ? { machinePct } : {}),
    ...(load1 !== undefined ? { load1 } : {}),
  };

  const lines = ['', header, '', deliveryTable([row]), '', resourceTable([row])];
  if (urls.length > 1) lines.push('', nodeTable(perNode.map(({ url, use }) => ({ url, usage: use }))));
  lines.push('', ...accountingLines([row]), '', cpuNote('load'), setupLine(target, setupMs));
  if (result.errorCodes.RATE_LIMITED || result.receiptErrorCodes.RATE_LIMITED) {
    lines.push(`WARNING: RATE_LIMITED answers: ${rateLimitedAdvice(perSender, loop.receipts)}`);
  }
  console.log(lines.join('\n'));
  return failed([row]) ? 1 : 0;
}

function rateLimitedAdvice(perSender: number, receipts: boolean): string {
  return (
    `each sender sends ${perSender.toFixed(2)} msg/s${receipts ? ' and answers as many receipts' : ''}. Pairly's defaults allow ` +
    `30 messages per 10 s per user (CHAT_MESSAGES_PER_10S), 10 per 5 s per conversation (CHAT_FLOOD_PER_5S) and 20 events/s ` +
    `per socket (SOCKET_EVENTS_PER_SECOND; a socket is disconnected after 200 rejections a minute). What is measured is the ` +
    `limiter, not the chat path: restart the nodes with CHAT_MESSAGES_PER_10S=1000000 CHAT_FLOOD_PER_5S=1000000 ` +
    `SOCKET_EVENTS_PER_SECOND=10000, or lower --rate / raise --clients to stay under 2 msg/s per sender.`
  );
}

/** One node's usage from its /metrics: memory before → after, CPU over the window. */
function nodeUse(
  before: ProcessSample | undefined,
  start: ProcessSample | undefined,
  end: ProcessSample | undefined,
  after: ProcessSample | undefined,
): ServerUse | undefined {
  if (!before || !after) return undefined;
  const MB = 1024 * 1024;
  return {
    ...(start && end && end.atMs > start.atMs ? { cpuPct: ((end.cpuUs - start.cpuUs) / 1000 / (end.atMs - start.atMs)) * 100 } : {}),
    rssBeforeMb: before.rssBytes / MB,
    rssAfterMb: after.rssBytes / MB,
    heapBeforeMb: before.heapUsedBytes / MB,
    heapAfterMb: after.heapUsedBytes / MB,
  };
}

/** Funds the fans through POST /api/admin/ledger/adjustments (a real ledger transfer, audited). */
async function adminFund(url: string, email: string, password: string, userIds: string[], concurrency: number): Promise<void> {
  const login = await http<{ accessToken: string }>(url, 'POST', '/api/auth/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.accessToken;
  await pool(userIds.length, concurrency, async (i) => {
    const res = await http(url, 'POST', '/api/admin/ledger/adjustments', {
      token,
      headers: { 'idempotency-key': `chat-load-${randomUUID()}` },
      body: { userId: userIds[i]!, amount: FAN_CREDITS, reason: 'chat load test funding' },
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`admin adjustment: ${res.status} ${JSON.stringify(res.body)}`);
  });
}
