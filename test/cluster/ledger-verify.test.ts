import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { newUser } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, ROOT, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/** `npm run ledger:verify` as an operator runs it, against a real database. */
let backing: Backing;
let node: InProcessNode;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess(backing.env);
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

function runVerify(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/cli/ledger-verify.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...backing.env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('npm run ledger:verify', () => {
  it('passes on a clean ledger and names the tampered transfer and accounts after an edit behind its back', async () => {
    const fan = await newUser(node.url);
    const creator = await newUser(node.url, { role: 'creator' });
    await fund(node.pairly, fan.user.id, 50);
    const spend = await node.pairly.services.ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan.user.id, toUserId: creator.user.id, amount: 10, kind: 'tip' });

    const clean = await runVerify();
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.out)).toMatchObject({ ok: true, totalPosted: 0 });

    const victim = spend.transfers[0]!.id;
    await pgQuery(backing.databaseUrl, `SET session_replication_role = replica; UPDATE ledger_transfers SET amount = 9 WHERE id = ${victim}`);
    const dirty = await runVerify();
    expect(dirty.code).toBe(1);
    expect(dirty.err).toContain(`transfer ${victim} `);
    expect(dirty.err).toContain(`account earnings:${creator.user.id}`);
  });
});
