import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterEach } from 'vitest';
import type { Browser, BrowserContext, ConsoleMessage, Locator, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import type { WhoCanMessage } from '../../shared/profiles.js';
import { allowMessages, logIn } from './client.js';
import { assertChromiumInstalled, CHROMIUM_FLAGS, loadPlaywright } from './chromium.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from './pairly.js';
import { WEB_ROOT, WEB_TEST_DIR } from './web-build.js';

/**
 * Browser journeys through the web app: a real Pairly node (PostgreSQL,
 * Redis) serving the app built by the global set-up, driven by
 * playwright-core in Debian's Chromium. Every page opened here fails its test
 * on a console error or an uncaught exception, and can be checked with axe
 * and photographed at phone and desktop widths.
 */

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 860 };


export interface WebNode {
  backing: Backing;
  node: InProcessNode;
  url: string;
  stop(): Promise<void>;
}

/** A whole Pairly node serving the web app: cluster-mode backing (its own database and Redis prefix), with its job workers (payments settle, calls are billed) and the sandbox payment provider. */
export async function startWebNode(env: Record<string, string> = {}): Promise<WebNode> {
  const backing = await createBacking();
  const node = await startInProcess({ ...backing.env, WEB_DIR: WEB_TEST_DIR, PAYMENTS_SANDBOX: 'true', RUN_WORKERS: 'true', ...env });
  return {
    backing,
    node,
    url: node.url,
    async stop() {
      await node.stop();
      await backing.cleanup();
    },
  };
}

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  assertChromiumInstalled();
  const { chromium } = await loadPlaywright();
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_FLAGS, ...extraArgs], timeout: 30_000 });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far (a journey ends by expecting this to be empty). */
  problems: string[];
}

/** The journey's open pages, shown when a step fails (a waitFor that timed out says what it waited for, not what was there). */
const openPages = new Set<{ page: Page; problems: string[] }>();
/** Requests Chromium aborted in each page because the machine's network changed (see openPage). */
const networkChanges = new WeakMap<Page, number>();
afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === 'fail';
  for (const watched of openPages) {
    if (failed && !watched.page.isClosed()) {
      const text = await watched.page.locator('body').innerText({ timeout: 2_000 }).catch((err: Error) => `(unreadable: ${err.message})`);
      const changes = networkChanges.get(watched.page) ?? 0;
      // A blank page says little by itself: did the app's code run at all, and did the document finish loading?
      const state = await watched.page
        .evaluate(() => {
          const d = (globalThis as unknown as { document: { readyState: string; getElementById(id: string): { childElementCount: number } | null; scripts: { length: number } } }).document;
          return `document ${d.readyState}, ${d.scripts.length} script(s), #root holds ${d.getElementById('root')?.childElementCount ?? 'no'} element(s)`;
        })
        .catch((err: Error) => `(unreadable: ${err.message})`);
      console.log(
        `[failed journey] page ${watched.page.url()} (${state})\n${text.slice(0, 3_000)}\nproblems: ${JSON.stringify(watched.problems)}` +
          (changes ? `\nrequests aborted by a network change (ERR_NETWORK_CHANGED): ${changes}` : ''),
      );
    }
  }
  openPages.clear();
});

/**
 * A page in a fresh context (its own storage: one person). Console errors are
 * collected; requests the server refused on purpose (4xx the journey
 * provokes) show up in Chromium's console as "Failed to load resource", which
 * `allowStatus` lets through for the listed statuses, and so do requests
 * Chromium aborted because the machine's network changed (ERR_NETWORK_CHANGED). `allowConsole` lets through
 * console errors a journey provokes on purpose (each one says why).
 */
export async function openPage(
  browser: Browser,
  url: string,
  opts: { viewport?: { width: number; height: number }; allowStatus?: number[]; allowConsole?: RegExp[] } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  // A step that cannot happen fails on its own line rather than as the test's timeout; 20 s, for a CI
  // machine of two cores that runs a cluster test beside the journey.
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  openPages.add({ page, problems });
  const allowed = new Set(opts.allowStatus ?? []);
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status && allowed.has(Number(status))) return;
    // Chromium aborts requests in flight when the machine's network interfaces change: other test files
    // (network namespaces, veth pairs) do that while a journey runs. The machine's doing, not the app's; a
    // request the journey needed still fails the step that waits for it.
    if (text.includes('net::ERR_NETWORK_CHANGED')) {
      networkChanges.set(page, (networkChanges.get(page) ?? 0) + 1);
      return;
    }
    if (opts.allowConsole?.some((r) => r.test(text))) return;
    problems.push(`console: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(url);
  return { page, context, problems };
}

/** Signs a person up through the API (fast set-up for journeys that are not about sign-up). */
export async function signUpApi(url: string, who: { email?: string; displayName: string; role?: 'fan' | 'creator'; birthdate?: string; whoCanMessage?: WhoCanMessage }): Promise<AuthResult> {
  const email = who.email ?? `${who.displayName.toLowerCase().replace(/\W+/g, '')}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse 9 battery';
  const res = await fetch(`${url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, displayName: who.displayName, birthdate: who.birthdate ?? '1995-05-05', role: who.role ?? 'fan' }),
  });
  if (res.status !== 202) throw new Error(`signup ${res.status}: ${await res.text()}`);
  const auth = await logIn(url, email, password);
  // As newUser: journeys' people take messages from everyone unless the journey is about consent.
  await allowMessages(url, auth.accessToken, who.whoCanMessage ?? 'everyone');
  return auth;
}

/**
 * Signs the page in as the app does after a login (web/src/lib/token-refresher.ts keeps the session in
 * localStorage), then opens `path`. Once, not on every navigation: a later logout stays a logout.
 */
export async function signIn(page: Page, baseUrl: string, auth: AuthResult, path = '/'): Promise<void> {
  if (!page.url().startsWith(baseUrl)) await page.goto(`${baseUrl}/favicon.svg`);
  const session = { user: auth.user, accessToken: auth.accessToken, refreshToken: auth.refreshToken, accessExpiresAt: Date.now() + auth.expiresIn * 1000 };
  // Runs in the page (the test's tsconfig has no DOM types, hence the cast).
  await page.evaluate((s) => {
    (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('pairly.session', s);
  }, JSON.stringify(session));
  await gotoApp(page, `${baseUrl}${path}`);
}

/**
 * Opens a page of the app and waits for it to render. When the machine's network changes while the
 * app's code loads (other test files add and remove network namespaces and veth pairs), Chromium
 * aborts those requests and the page stays blank: seen once in CI, a journey waiting 20 s on an empty
 * /earnings. Then, and only then, the page is loaded again (twice at most); a page that stays blank
 * for any other reason is left to the journey's next step, which fails with the page's text.
 */
export async function gotoApp(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const changes = networkChanges.get(page) ?? 0;
    await page.goto(url);
    const rendered = await page
      .locator('#root > *')
      .first()
      .waitFor({ state: 'attached', timeout: 10_000 })
      .then(() => true, () => false);
    if (rendered || attempt >= 3 || (networkChanges.get(page) ?? 0) === changes) return;
  }
}

/** The session the app stored after a sign-up or login in this page (to call the API as that person). */
export async function sessionOf(page: Page): Promise<AuthResult> {
  const raw = await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('pairly.session'));
  if (!raw) throw new Error('the page holds no session');
  const s = JSON.parse(raw) as { user: AuthResult['user']; accessToken: string; refreshToken: string; accessExpiresAt: number };
  return { user: s.user, accessToken: s.accessToken, refreshToken: s.refreshToken, expiresIn: Math.round((s.accessExpiresAt - Date.now()) / 1000) };
}

/** Signs up through the app's own form (the page lands on /onboarding) and returns the stored session. */
export async function signUpThroughForm(page: Page, baseUrl: string, who: { displayName: string; birthdate: string; role?: 'fan' | 'creator' }): Promise<AuthResult> {
  await gotoApp(page, `${baseUrl}/signup`);
  await page.getByLabel('Email').fill(`${who.displayName.toLowerCase().replace(/\W+/g, '')}-${crypto.randomUUID().slice(0, 8)}@example.com`);
  await page.getByLabel('Password').fill('correct horse 9 battery');
  await page.getByLabel('Display name').fill(who.displayName);
  await page.getByLabel('Date of birth').fill(who.birthdate);
  if (who.role === 'creator') await page.getByRole('radio', { name: /A creator/ }).check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/onboarding/);
  return sessionOf(page);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA rules). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol, which the app's CSP (script-src 'self') rightly does not let a script tag do.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      document: unknown;
      axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> };
    };
    const r = await g.axe.run(g.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The folder screenshots go to (printed once per file so a reader can find them). */
export const SCREENSHOT_DIR = join(WEB_ROOT, '.tmp/screenshots');
let announced = false;

/** Saves the page at phone and desktop widths as <dir>/<name>-phone.png and -desktop.png, restoring the viewport. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  if (!announced) {
    announced = true;
    console.log(`screenshots: ${SCREENSHOT_DIR}`);
  }
  const before = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(before);
}

/** axe check + screenshots of one page state, failing with the violations listed. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await screenshots(page, name);
  const violations = await seriousA11yViolations(page);
  if (violations.length) throw new Error(`${name}: axe found serious/critical violations:\n${JSON.stringify(violations, null, 2)}`);
}

/** A REST call as `who` to the web node, outside the browser (set-up a journey does not click through); throws unless 2xx. */
export async function callAs<T = unknown>(baseUrl: string, who: AuthResult, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${who.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Picks files through the page's own button (the file chooser it opens), as a person does. */
export async function chooseFiles(page: Page, button: Locator, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), button.click()]);
  await chooser.setFiles(files);
}

/** Waits until an <img> has really loaded (its bytes decoded), and returns its natural width. */
export async function loadedWidth(img: Locator): Promise<number> {
  await img.waitFor();
  const handle = await img.elementHandle();
  await img.page().waitForFunction((el) => {
    const i = el as unknown as { complete: boolean; naturalWidth: number };
    return i.complete && i.naturalWidth > 0;
  }, handle);
  return img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
}

/**
 * Writes `text` into a message box and goes on typing, as a person does, until `shown` (the peer's
 * "… is typing…") appears. Typing indicators are volatile pushes: one the server sends while the peer's
 * socket is busy writing is dropped, by design, and the next renewal (every 3 s of typing,
 * chat-composer.tsx) brings it. A single fill sends one signal only; a drop would then fail the journey.
 */
export async function typeUntilShown(box: Locator, text: string, shown: Locator, timeoutMs = 20_000): Promise<void> {
  await box.fill(text);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await shown.waitFor({ timeout: 500 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    // A key and its undoing: the text stays as it was, the box has been typed in again.
    await box.press('End');
    await box.press('Space');
    await box.press('Backspace');
  }
}
