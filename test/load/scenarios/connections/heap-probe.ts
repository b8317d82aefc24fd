import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNodeProcess, tempDir } from '../../../support/pairly.js';
import { Cleanups } from '../../lib/cleanups.js';
import { benchData } from '../../lib/server-env.js';
import { Holders } from './holders.js';
import { CONNECTIONS_BENCH_ENV } from './targets.js';
import { startRelay } from '../chat/children.js';
import type { HolderAuth } from './protocol.js';

/**
 * Where an idle socket's heap goes: heap snapshots of a cluster-mode Pairly node (or of the bare
 * socket.io relay the connections bench compares it with) with no socket and with N idle sockets, self sizes added up
 * per constructor, the difference divided by N. A snapshot collects garbage
 * first, so unlike RSS samples the figures do not depend on GC timing.
 *
 *   node --import tsx test/load/scenarios/connections/heap-probe.ts [--sockets 2000] [--target pairly|bare] [--env K=V ...] [--by-retainer]
 *
 * `--by-retainer` names arrays, strings and other unnamed kinds by what holds them (the first retainer's
 * constructor and the edge's name, `Socket._callbacks` say): where an extra array per socket comes from.
 */

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '2000' },
    env: { type: 'string', multiple: true },
    top: { type: 'string', default: '30' },
    target: { type: 'string', default: 'pairly' },
    'by-retainer': { type: 'boolean', default: false },
  },
});
const n = Number(values.sockets);
const log = (m: string) => console.error(m);
const cleanups = new Cleanups(log, 30_000);
const snapDir = tempDir('pairly-heap-probe');
cleanups.add(() => snapDir.remove());

type Totals = Map<string, { size: number; count: number }>;

async function snapshot(pid: number, label: string): Promise<Totals> {
  const before = new Set(readdirSync(snapDir.path));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const file = readdirSync(snapDir.path).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file) {
      // Written in pieces: complete once it parses.
      let parsed: Snap | undefined;
      let size = 0;
      for (let tries = 0; !parsed; tries++) {
        const text = readFileSync(join(snapDir.path, file), 'utf8');
        size = text.length;
        try {
          parsed = JSON.parse(text) as Snap;
        } catch (err) {
          if (tries > 120) throw err;
          await sleep(1000);
        }
      }
      const totals = aggregate(parsed);
      rmSync(join(snapDir.path, file));
      log(`${label}: snapshot read (${Math.round(size / 1e6)} MB)`);
      return totals;
    }
  }
  throw new Error('no heap snapshot written');
}

interface Snap {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** For each node (by its index / node width), the label of its first strong retainer: `<holder name>.<edge>`. */
function retainers(s: Snap): Map<number, string> {
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const [nw, ew] = [nf.length, ef.length];
  const [iName, iEdges, iType] = [nf.indexOf('name'), nf.indexOf('edge_count'), nf.indexOf('type')];
  const [eType, eName, eTo] = [ef.indexOf('type'), ef.indexOf('name_or_index'), ef.indexOf('to_node')];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const nodeTypes = s.snapshot.meta.node_types[0];
  const out = new Map<number, string>();
  let e = 0;
  for (let i = 0; i < s.nodes.length; i += nw) {
    const holderType = nodeTypes[s.nodes[i + iType]!]!;
    const holder = holderType === 'object' || holderType === 'closure' ? s.strings[s.nodes[i + iName]!]!.slice(0, 40) : holderType;
    for (let k = 0; k < s.nodes[i + iEdges]!; k++, e += ew) {
      const type = edgeTypes[s.edges[e + eType]!]!;
      if (type === 'weak' || type === 'shortcut') continue;
      const to = s.edges[e + eTo]! / nw;
      if (out.has(to)) continue;
      const name = type === 'element' || type === 'hidden' ? `[${type}]` : String(s.strings[s.edges[e + eName]!] ?? s.edges[e + eName]);
      out.set(to, `${holder}.${name.slice(0, 40)}`);
    }
  }
  return out;
}

function aggregate(s: Snap): Totals {
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = s.snapshot.meta.node_types[0];
  const out: Totals = new Map();
  const held = values['by-retainer'] ? retainers(s) : undefined;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    // Strings and code are grouped by kind; objects by constructor.
    let name = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${s.strings[s.nodes[i + iName]!]!.slice(0, 60)}` : type;
    if (held && (name === 'array' || name === 'string' || name === 'hidden' || name === 'object Array' || name === 'native system / JSArrayBufferData' || name === 'concatenated string' || name === 'sliced string')) {
      name = `${name} ← ${held.get(i / width) ?? '?'}`;
    }
    const t = out.get(name) ?? { size: 0, count: 0 };
    t.size += s.nodes[i + iSize]!;
    t.count += 1;
    out.set(name, t);
  }
  return out;
}

async function main(): Promise<number> {
  const env: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const [k, ...v] = kv.split('=');
    env[k!] = v.join('=');
  }
  const holders = new Holders(2);
  cleanups.add(() => holders.stop());
  const snapOptions = `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapDir.path}`;
  let pid: number;
  let url: string;
  let auth: HolderAuth;
  if (values.target === 'bare') {
    // The relay child inherits this process's environment (the holders are already running without it).
    process.env.NODE_OPTIONS = snapOptions;
    const relay = await startRelay();
    cleanups.add(() => relay.stop());
    [pid, url, auth] = [relay.sampler.pid, relay.url, { kind: 'bare' }];
  } else {
    const data = await benchData('cluster', cleanups, 'pairly-heap-probe');
    const nodeEnv: Record<string, string> = { ...data.env, ...CONNECTIONS_BENCH_ENV, NODE_OPTIONS: snapOptions, ...env };
    const node = await startNodeProcess(nodeEnv);
    cleanups.add(() => node.stop());
    [pid, url, auth] = [node.child.pid!, node.url, { kind: 'jwt', jwtSecret: nodeEnv.JWT_SECRET!, ttlSeconds: 3600 }];
  }
  // One round of connects and disconnects first, so lazily built code and caches are in both snapshots.
  await holders.open(url, 200, 50, auth);
  await holders.close();
  await sleep(3000);
  const zero = await snapshot(pid, 'no socket');
  await holders.open(url, n, 50, auth);
  await sleep(3000);
  const full = await snapshot(pid, `${n} sockets`);
  const rows = [...full]
    .map(([name, t]) => {
      const z = zero.get(name) ?? { size: 0, count: 0 };
      return { name, bytes: (t.size - z.size) / n, count: (t.count - z.count) / n };
    })
    .sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((a, r) => a + r.bytes, 0);
  console.log(`heap per idle socket (${n} sockets, self sizes, snapshot difference): ${(total / 1024).toFixed(2)} KB`);
  for (const r of rows.slice(0, Number(values.top))) console.log(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(6)} objects  ${r.name}`);
  return 0;
}

const code = await main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
});
await cleanups.run();
process.exit(code);
