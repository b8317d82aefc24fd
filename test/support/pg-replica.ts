import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL primary and a streaming replica of it that the test owns: its
 * own initdb, its own ports, its own processes (one PID each, stopped by that
 * PID), removed afterwards. The shared 127.0.0.1:5432 is not touched.
 *
 *   initdb ──> primary (wal_level=replica) ──pg_basebackup -R──> replica (hot standby, streaming)
 *
 * PostgreSQL refuses to run as root: the servers and tools run as the
 * `postgres` user (spawn's uid/gid, so the PID is the postmaster's own).
 */
export const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgInstance {
  port: number;
  /** The postmaster's PID (its backends are its children). */
  pid: number;
  url(database: string): string;
  /** Fast shutdown (SIGINT) by PID; resolves when the postmaster has exited. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export interface PgReplicaPair {
  primary: PgInstance;
  replica: PgInstance;
  /** A database on the primary, there on the replica once replayed. */
  createDatabase(name: string): Promise<string>;
  /** Resolves once the replica has replayed everything the primary had written when it was called. */
  caughtUp(): Promise<void>;
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Stops both servers (by PID) and removes their data directories. */
  teardown(): Promise<void>;
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

async function untilAnswers(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited (${server.exitCode}):\n${log()}`);
    try {
      await query(url, 'SELECT 1');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`postgres did not answer on ${url}:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function startServer(dataDir: string, port: number, user: { uid: number; gid: number }, settings: string[]): Promise<PgInstance> {
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`];
  for (const s of settings) args.push('-c', s);
  const child = spawn(join(PG_BIN, 'postgres'), args, { ...user, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const instance: PgInstance = {
    port,
    pid: child.pid!,
    url: (database) => `${base}/${database}`,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      if (instance.running) child.kill('SIGINT');
      await exited;
    },
  };
  return untilAnswers(`${base}/postgres`, child, () => out).then(
    () => instance,
    async (err) => {
      await instance.stop();
      throw err;
    },
  );
}

/** Ports: the caller's (each test file its own pair, in 5441-5449 for this suite). */
export async function startPgReplicaPair(ports: { primary: number; replica: number }): Promise<PgReplicaPair> {
  const user = postgresUser();
  const root = mkdtempSync(join(tmpdir(), 'pairly-pg-replica-'));
  chownSync(root, user.uid, user.gid);
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const run = (tool: string, args: string[]) => execFileSync(join(PG_BIN, tool), args, { ...user, stdio: 'pipe' });
  let primary: PgInstance | undefined;
  let replica: PgInstance | undefined;
  const teardown = async () => {
    await replica?.stop();
    await primary?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    // Durability is not what these tests measure: fsync off keeps set-up quick on a shared machine.
    primary = await startServer(primaryDir, ports.primary, user, ['wal_level=replica', 'max_wal_senders=4', 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off']);
    // -R writes standby.signal and primary_conninfo: the copy starts as a streaming hot standby.
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(ports.primary), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '--no-sync']);
    replica = await startServer(replicaDir, ports.replica, user, ['hot_standby=on', 'fsync=off']);
  } catch (err) {
    await teardown();
    throw err;
  }
  const p = primary;
  const r = replica;

  const caughtUp = async () => {
    const [{ lsn }] = (await query<{ lsn: string }>(p.url('postgres'), 'SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }];
    for (;;) {
      const [{ behind }] = (await query<{ behind: boolean }>(r.url('postgres'), 'SELECT pg_last_wal_replay_lsn() < $1::pg_lsn AS behind', [lsn])) as [{ behind: boolean }];
      if (!behind) return;
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  return {
    primary: p,
    replica: r,
    async createDatabase(name) {
      await query(p.url('postgres'), `CREATE DATABASE ${name}`);
      await caughtUp();
      return name;
    },
    caughtUp,
    async pauseReplay() {
      // Once requested, the startup process checks the request before it applies the next record it reads:
      // 'pause requested' (nothing arrived since) already holds back every later commit.
      await query(r.url('postgres'), 'SELECT pg_wal_replay_pause()');
      const [{ state }] = (await query<{ state: string }>(r.url('postgres'), 'SELECT pg_get_wal_replay_pause_state() AS state')) as [{ state: string }];
      if (state === 'not paused') throw new Error('replay did not pause');
    },
    async resumeReplay() {
      await query(r.url('postgres'), 'SELECT pg_wal_replay_resume()');
    },
    teardown,
  };
}
