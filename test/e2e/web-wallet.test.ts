import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { PublicUser, SessionView } from '../../shared/auth.js';
import type { PaymentView } from '../../shared/payments.js';
import { http } from '../support/client.js';
import { startRazorpayStandin } from '../support/razorpay-standin.js';
import { startStripeStandin } from '../support/stripe-standin.js';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * The wallet and settings in a real browser against a real node (sandbox
 * payments): a fan buys credits through the test checkout and sees the
 * balance change live (nav too) without a reload; a lost checkout answer is
 * retried with the same Idempotency-Key and opens one payment; a reload in
 * the middle of a purchase comes back to it; a declined payment shows as
 * failed and changes nothing. A creator sets prices and unblocks someone in
 * Settings, and logs out another device. With Razorpay configured, the
 * wallet hands the order to Razorpay Checkout (checkout.js, here a stand-in
 * served in its place) and credits arrive when the signed webhook does. With
 * Stripe configured, the wallet sends the fan to Stripe Checkout's hosted
 * page (the Stripe stand-in's, at its own origin) and back, and the webhooks
 * Stripe sends credit the wallet live.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  // Workers in this process: a sandbox payment settles through the payments.process-event job.
  web = await startWebNode({ RUN_WORKERS: 'true' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

const payments = async (token: string, base = web.url) => (await http<{ payments: PaymentView[] }>(base, 'GET', '/api/payments', { token })).body.payments;
/** Proves no reload happened between two points: a mark left on the page's window survives only without one. */
const mark = (page: Page) => page.evaluate(() => ((globalThis as unknown as { pairlyMark?: boolean }).pairlyMark = true));
/** checkPage photographs the whole page; from the top, so the sticky header sits where it belongs. */
const check = async (page: Page, name: string) => {
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await checkPage(page, name);
};
const marked = (page: Page) => page.evaluate(() => (globalThis as unknown as { pairlyMark?: boolean }).pairlyMark === true);

it('a fan buys credits through the sandbox checkout: live balance, one payment per intent, a declined payment changes nothing', async () => {
  const fan = await signUpApi(web.url, { displayName: 'Fay' });
  // 503: the checkout answer this test drops on purpose, after the server handled the request.
  const { page, context, problems } = await openPage(browser, `${web.url}/favicon.svg`, { allowStatus: [503] });
  await signIn(page, web.url, fan, '/wallet');

  await page.getByRole('heading', { name: 'Wallet', level: 1 }).waitFor();
  await page.getByTestId('wallet-available').filter({ hasText: /^0$/ }).waitFor();
  await page.getByText('Your wallet is empty.').waitFor();
  await page.getByText('No payments yet.').waitFor();
  await page.getByText('No activity yet.').waitFor();
  await page.getByTestId('nav-balance').filter({ hasText: /^0$/ }).waitFor();
  await page.getByRole('button', { name: 'Buy 100 credits' }).waitFor();
  await check(page, 'wallet-empty');

  // The first checkout answer is lost after the server opened the payment; "Try again" sends the same key.
  const keys: string[] = [];
  await page.route('**/api/payments/checkout', async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    const real = await route.fetch();
    if (keys.length === 1) await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NOT_READY', message: 'lost' } }) });
    else await route.fulfill({ response: real });
  });
  await page.getByRole('button', { name: 'Buy 100 credits' }).click();
  await page.getByRole('alert').filter({ hasText: 'Pairly is having a moment' }).waitFor();
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('heading', { name: 'Test payment — no real money' }).waitFor();
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^[\x21-\x7e]{8,128}$/);
  expect(keys[1]).toBe(keys[0]);
  expect(await payments(fan.accessToken)).toHaveLength(1);
  // 'wait': the second handler may still be finishing its fulfill when the page has already rendered the answer.
  await page.unrouteAll({ behavior: 'wait' });
  await page.getByText('100 credits for $4.99').waitFor();
  await page.getByTestId('payments').getByRole('listitem').filter({ hasText: 'Waiting for payment' }).waitFor();
  await check(page, 'wallet-sandbox-checkout');

  // Paying settles through the signed webhook; the balance arrives by push, the page is never reloaded.
  await mark(page);
  await page.getByRole('button', { name: 'Pay $4.99' }).click();
  await page.getByRole('heading', { name: 'Payment received' }).waitFor();
  await page.getByTestId('wallet-available').filter({ hasText: /^100$/ }).waitFor();
  await page.getByTestId('nav-balance').filter({ hasText: /^100$/ }).waitFor();
  await page.getByTestId('payments').getByRole('listitem').filter({ hasText: '100 credits' }).filter({ hasText: 'Paid' }).waitFor();
  await page.getByTestId('transactions').getByRole('listitem').filter({ hasText: 'Credits bought' }).filter({ hasText: '+100' }).waitFor();
  expect(await marked(page)).toBe(true);
  await check(page, 'wallet-after-purchase');
  await page.getByRole('button', { name: 'Done' }).click();

  // A reload in the middle of a purchase comes back to it, still waiting; it then settles as usual.
  await page.getByRole('button', { name: 'Buy 550 credits' }).click();
  await page.getByRole('heading', { name: 'Test payment — no real money' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Test payment — no real money' }).waitFor();
  await page.getByText('Status: Waiting for payment.').waitFor();
  await page.getByText('550 credits for $19.99').waitFor();
  expect(await payments(fan.accessToken)).toHaveLength(2);

  // Declined: shown as failed, with nothing charged and the balance as it was.
  await page.getByRole('button', { name: 'Fail' }).click();
  await page.getByRole('heading', { name: 'Payment failed' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Nothing was charged' }).waitFor();
  await page.getByTestId('payments').getByRole('listitem').filter({ hasText: '550 credits' }).filter({ hasText: 'Failed' }).waitFor();
  await check(page, 'wallet-payment-failed');
  const wallet = (await http(web.url, 'GET', '/api/wallet', { token: fan.accessToken })).body.wallet;
  expect(wallet).toMatchObject({ available: 100, held: 0, debt: 0 });
  await expect(page.getByTestId('wallet-available').textContent()).resolves.toBe('100');
  await expect(page.getByTestId('nav-balance').textContent()).resolves.toBe('100');
  expect(await page.getByTestId('transactions').getByRole('listitem').count()).toBe(1);
  const statuses = (await payments(fan.accessToken)).map((p) => [p.credits, p.status]);
  expect(statuses).toEqual([
    [550, 'failed'],
    [100, 'succeeded'],
  ]);
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('button', { name: 'Buy 100 credits' }).waitFor();

  // A fan's settings: no prices to set.
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Blocked people' }).waitFor();
  await page.getByText('You have not blocked anyone.').waitFor();
  await page.getByTestId('session-current').waitFor();
  expect(await page.getByRole('heading', { name: 'Your prices' }).count()).toBe(0);
  await check(page, 'settings-fan');
  expect(problems).toEqual([]);
  await context.close();
}, 120_000);

it('a creator sets prices, renames, unblocks someone and logs out another device in Settings', async () => {
  const creator = await signUpApi(web.url, { displayName: 'Cleo', role: 'creator' });
  const pest = await signUpApi(web.url, { displayName: 'Pest' });
  expect((await http(web.url, 'PUT', `/api/blocks/${pest.user.id}`, { token: creator.accessToken })).status).toBe(204);
  // Another device of the creator's, logged in separately.
  const laptop = await http(web.url, 'POST', '/api/auth/login', {
    body: { email: creator.user.email, password: 'correct horse 9 battery' },
    headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0' },
  });
  expect(laptop.status).toBe(200);

  const { page, context, problems } = await openPage(browser, `${web.url}/favicon.svg`, { viewport: PHONE });
  await signIn(page, web.url, creator, '/settings');
  await page.getByRole('heading', { name: 'Your prices' }).waitFor();
  await page.getByRole('list', { name: 'Blocked people' }).getByText('Pest').waitFor();
  await page.getByText('Firefox on macOS').waitFor();
  await check(page, 'settings-creator');

  // Prices: a bad value is explained before anything is sent; then saved and confirmed by the server.
  await page.getByLabel('Price per message (credits)').fill('-3');
  await page.getByRole('button', { name: 'Save prices' }).click();
  await page.locator('.field-error').filter({ hasText: 'Enter a whole number of credits from 0 to 100,000.' }).waitFor();
  expect((await http<{ user: PublicUser }>(web.url, 'GET', '/api/me', { token: creator.accessToken })).body.user.messagePrice).toBe(0);
  await page.getByLabel('Price per message (credits)').fill('25');
  await page.getByLabel('Price per call minute (credits)').fill('40');
  await page.getByRole('button', { name: 'Save prices' }).click();
  await page.getByRole('status').filter({ hasText: 'Prices saved.' }).waitFor();
  const me = (await http<{ user: PublicUser }>(web.url, 'GET', '/api/me', { token: creator.accessToken })).body.user;
  expect(me).toMatchObject({ messagePrice: 25, callPricePerMinute: 40 });

  // The name, saved and kept in the session.
  await page.getByLabel('Display name').fill('Cleo Rose');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByRole('status').filter({ hasText: /^Saved\.$/ }).waitFor();
  expect((await http<{ user: PublicUser }>(web.url, 'GET', '/api/me', { token: creator.accessToken })).body.user.displayName).toBe('Cleo Rose');

  // Unblock.
  await page.getByRole('button', { name: 'Unblock Pest' }).click();
  await page.getByText('You unblocked Pest.').waitFor();
  await page.getByText('You have not blocked anyone.').waitFor();
  expect((await http(web.url, 'GET', '/api/blocks', { token: creator.accessToken })).body.blocks).toEqual([]);

  // Log out the other device: its token stops working; this one carries on.
  await page.getByRole('button', { name: /^Log out Firefox on macOS/ }).click();
  await page.getByText('Logged out Firefox on macOS.').waitFor();
  expect((await http(web.url, 'GET', '/api/me', { token: laptop.body.accessToken })).body.error.code).toBe('SESSION_REVOKED');
  const left = (await http<{ sessions: SessionView[] }>(web.url, 'GET', '/api/auth/sessions', { token: creator.accessToken })).body.sessions;
  expect(left.map((s) => s.current)).toEqual([true]);
  await check(page, 'settings-creator-saved');
  expect(problems).toEqual([]);
  await context.close();
}, 90_000);

/**
 * A STAND-IN for Razorpay's checkout.js, served at its real address (the page's CSP must allow
 * it): `new Razorpay(options).open()` records the options instead of drawing Razorpay's window,
 * so the test can play the customer by calling the handler Razorpay would call after a payment.
 */
const CHECKOUT_JS_STANDIN = `
window.Razorpay = class {
  constructor(options) { this.options = options; this.handlers = {}; }
  on(event, fn) { this.handlers[event] = fn; }
  open() { window.rzpStandinOpened = this.options; }
};`;

it('with Razorpay, hands the order to Razorpay Checkout and credits the wallet when the webhook confirms it', async () => {
  const RZP = { keyId: 'rzp_test_standin', keySecret: 'rzp_secret_standin_789', webhookSecret: 'rzp_whsec_standin_000' };
  const rzp = await startRazorpayStandin(RZP);
  const node = await startWebNode({
    RUN_WORKERS: 'true',
    PAYMENTS_SANDBOX: 'false',
    RAZORPAY_KEY_ID: RZP.keyId,
    RAZORPAY_KEY_SECRET: RZP.keySecret,
    RAZORPAY_WEBHOOK_SECRET: RZP.webhookSecret,
    RAZORPAY_API_BASE: rzp.url,
  });
  try {
    const csp = (await fetch(`${node.url}/wallet`, { headers: { accept: 'text/html' } })).headers.get('content-security-policy') ?? '';
    expect(csp).toContain('script-src \'self\' https://checkout.razorpay.com');
    expect(csp).toContain('frame-src https://api.razorpay.com');

    const fan = await signUpApi(node.url, { displayName: 'Ravi' });
    const { page, context, problems } = await openPage(browser, `${node.url}/favicon.svg`, { viewport: PHONE });
    let scriptLoads = 0;
    await page.route('https://checkout.razorpay.com/v1/checkout.js', (route) => {
      scriptLoads += 1;
      return route.fulfill({ status: 200, contentType: 'application/javascript', body: CHECKOUT_JS_STANDIN });
    });
    await signIn(page, node.url, fan, '/wallet');
    await page.getByText('Razorpay: UPI, cards, netbanking').waitFor();
    await page.getByText('₹399.00').waitFor();
    expect(scriptLoads).toBe(0);

    await page.getByRole('button', { name: 'Buy 100 credits' }).click();
    await page.getByRole('heading', { name: 'Pay with Razorpay' }).waitFor();
    const opened = await page.waitForFunction(() => (globalThis as unknown as { rzpStandinOpened?: unknown }).rzpStandinOpened).then((h) => h.jsonValue());
    const [payment] = (await http<{ payments: PaymentView[] }>(node.url, 'GET', '/api/payments', { token: fan.accessToken })).body.payments;
    expect(payment).toMatchObject({ provider: 'razorpay', status: 'pending', amountMinor: 39_900, currency: 'inr' });
    expect(opened).toMatchObject({ key: RZP.keyId, order_id: payment!.providerRef, amount: 39_900, currency: 'INR', name: 'Pairly', description: '100 credits' });
    expect(scriptLoads).toBe(1);
    await check(page, 'wallet-razorpay-checkout');

    // Razorpay's window reports the payment: not proof, so the page waits for Pairly to hear it from Razorpay.
    await page.evaluate(() => (globalThis as unknown as { rzpStandinOpened: { handler(r: unknown): void } }).rzpStandinOpened.handler({ razorpay_payment_id: 'pay_x' }));
    await page.getByText('Waiting for Razorpay to confirm the payment').waitFor();
    await page.getByTestId('wallet-available').filter({ hasText: /^0$/ }).waitFor();

    const captured = rzp.capture(payment!.providerRef!);
    const res = await http(node.url, 'POST', '/api/payments/webhooks/razorpay', { raw: captured.payload, headers: captured.headers });
    expect(res.status).toBe(200);
    await page.getByRole('heading', { name: 'Payment received' }).waitFor();
    await page.getByTestId('nav-balance').filter({ hasText: /^100$/ }).waitFor();
    await page.getByTestId('transactions').getByRole('listitem').filter({ hasText: 'Through Razorpay' }).filter({ hasText: '+100' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  } finally {
    await node.stop();
    await rzp.close();
  }
}, 120_000);

it('with Stripe, sends the fan to Stripe Checkout’s page and back, and the balance updates live when Stripe’s webhooks arrive', async () => {
  const STRIPE = { apiKey: 'sk_test_standin_web_wallet', webhookSecret: 'whsec_standin_web_wallet' };
  const stripe = await startStripeStandin(STRIPE);
  const node = await startWebNode({
    RUN_WORKERS: 'true',
    PAYMENTS_SANDBOX: 'false',
    STRIPE_SECRET_KEY: STRIPE.apiKey,
    STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
    STRIPE_API_BASE: stripe.url,
  });
  try {
    // Stripe's webhooks go to the node, held until the fan is back on the wallet, so the update is seen arriving.
    stripe.webhookEndpoint(`${node.url}/api/payments/webhooks/stripe`);
    stripe.holdWebhooks();
    const fan = await signUpApi(node.url, { displayName: 'Stella' });
    const { page, context, problems } = await openPage(browser, `${node.url}/favicon.svg`, { viewport: PHONE });
    await signIn(page, node.url, fan, '/wallet');
    await page.getByText('Card (Stripe)').waitFor();
    await page.getByText('$4.99').waitFor();

    // To Stripe's page (another origin); leaving it without paying comes back to the purchase, still open.
    await page.getByRole('button', { name: 'Buy 100 credits' }).click();
    await page.waitForURL(`${stripe.url}/c/pay/**`);
    const [payment] = await payments(fan.accessToken, node.url);
    expect(payment).toMatchObject({ provider: 'stripe', status: 'pending', amountMinor: 499, currency: 'usd' });
    expect(page.url()).toBe(`${stripe.url}/c/pay/${payment!.providerRef}`);
    await page.getByRole('heading', { name: 'Pay $4.99' }).waitFor();
    await page.getByRole('link', { name: 'Back' }).click();
    await page.waitForURL(`${node.url}/wallet`);
    await page.getByRole('heading', { name: 'Pay with card (Stripe)' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'You left Stripe’s page without paying. Nothing was charged.' }).waitFor();
    await check(page, 'wallet-stripe-left');

    // Back to the same page (the same session, no second payment), and paying there.
    await page.getByRole('link', { name: 'Continue to Stripe' }).click();
    await page.waitForURL(`${stripe.url}/c/pay/${payment!.providerRef}`);
    await page.getByRole('button', { name: 'Pay $4.99' }).click();
    await page.waitForURL(`${node.url}/wallet`);
    await page.getByText('Waiting for Stripe to confirm the payment').waitFor();
    await page.getByTestId('wallet-available').filter({ hasText: /^0$/ }).waitFor();
    expect((await payments(fan.accessToken, node.url)).map((p) => p.id)).toEqual([payment!.id]);
    await check(page, 'wallet-stripe-returned');

    await mark(page);
    const sent = await stripe.releaseWebhooks();
    expect(sent.map((r) => [r.type, r.status])).toEqual([
      ['checkout.session.completed', 200],
      ['payment_intent.succeeded', 200],
    ]);
    await page.getByRole('heading', { name: 'Payment received' }).waitFor();
    await page.getByTestId('wallet-available').filter({ hasText: /^100$/ }).waitFor();
    await page.getByTestId('nav-balance').filter({ hasText: /^100$/ }).waitFor();
    await page.getByTestId('transactions').getByRole('listitem').filter({ hasText: 'Through Stripe' }).filter({ hasText: '+100' }).waitFor();
    expect(await marked(page)).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  } finally {
    await node.stop();
    await stripe.close();
  }
}, 120_000);
