import { enrolTwoFactor } from './two-factor.js';
import { spawn } from 'node:child_process';
import { ROOT, TEST_RATE_LIMITS } from './pairly.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run admin:create` as an operator runs it (one node process, no npm in between). */
export function runAdminCreate(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return runCli('server/src/cli/admin-create.ts', env, args);
}

/** `npm run ledger:verify` as an operator runs it. */
export function runLedgerVerify(env: Record<string, string>): Promise<CliResult> {
  return runCli('server/src/cli/ledger-verify.ts', env, []);
}

/** `npm run roles` as an operator runs it. */
export function runRoles(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return runCli('server/src/cli/roles.ts', env, args);
}

function runCli(script: string, env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...TEST_RATE_LIMITS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Makes (or promotes) an admin through the CLI and logs in over REST. */
/**
 * An admin made by the CLI, logged in, with two-factor sign-in turned on by that session (admins act only
 * from sessions that proved a second factor), unless `twoFactor: false`; `secret` makes the codes a later
 * login asks for.
 */
export async function newAdminViaCli(
  env: Record<string, string>,
  url: string,
  opts: { twoFactor?: boolean } = {},
): Promise<{ userId: string; email: string; password: string; accessToken: string; refreshToken: string; secret: string | null }> {
  const email = `admin.${Math.random().toString(36).slice(2, 10)}@example.test`;
  const password = 'Admin-password-123';
  const run = await runAdminCreate({ ...env, PAIRLY_ADMIN_PASSWORD: password }, ['--email', email]);
  if (run.code !== 0) throw new Error(`admin:create exited ${run.code}:\n${run.stdout}${run.stderr}`);
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { accessToken: string; refreshToken: string; user: { id: string } };
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(body)}`);
  const base = { userId: body.user.id, email, password, accessToken: body.accessToken, refreshToken: body.refreshToken };
  if (opts.twoFactor === false) return { ...base, secret: null };
  const { secret } = await enrolTwoFactor(url, body.accessToken);
  return { ...base, secret };
}
