import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { http, waitFor } from '../support/client.js';
import { fund, newAdmin, newAdminSession } from '../support/ledger.js';
import { startInProcess, tempDir, type InProcessNode } from '../support/pairly.js';
import { verifiedCreator } from '../support/payouts.js';
import { pgQuery } from '../support/services.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';
import { WEB_TEST_DIR } from '../support/web-build.js';
import { callAs, checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Payouts in a real browser (issue #13): a verified creator earns from a tip, pending on a node whose hold
 * is a year; the same ledger read by a second node whose hold is zero shows it available (the hold has
 * passed, as web-earnings does it: ledger rows are immutable, so the hold is what differs). There the
 * creator onboards with Stripe Express through the stand-in's onboarding page, requests a payout with the
 * amount shown first, an admin approves it in the queue, the job sends it to the Stripe stand-in, whose
 * payout.paid webhook marks it paid, and the creator's page shows it live with the balances, at 390 px.
 */
let web: WebNode;
let noHold: InProcessNode;
let browser: Browser;
let stripe: StripeStandin;
const data = tempDir('web-payouts');
const STRIPE = { apiKey: 'sk_test_standin_web', webhookSecret: 'whsec_standin_web' };

beforeAll(async () => {
  stripe = await startStripeStandin(STRIPE);
  const env = {
    MEDIA_STORAGE: 'local',
    PAIRLY_DATA_DIR: data.path,
    STRIPE_SECRET_KEY: STRIPE.apiKey,
    STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
    STRIPE_API_BASE: stripe.url,
    PAYOUT_MIN_CREDITS: '20',
  };
  web = await startWebNode({ ...env, EARNINGS_HOLD_SECONDS: String(365 * 86_400) });
  noHold = await startInProcess({ ...web.backing.env, ...env, WEB_DIR: WEB_TEST_DIR, PAYMENTS_SANDBOX: 'true', RUN_WORKERS: 'true', EARNINGS_HOLD_SECONDS: '0' });
  stripe.connectWebhookEndpoint(`${noHold.url}/api/payouts/webhooks/stripe`);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await noHold?.stop();
  await web?.stop();
  await stripe?.close();
  data.remove();
});

it('a creator earns from a tip, the hold passes, onboards with Stripe, requests a payout; an admin approves; the webhook marks it paid', async () => {
  const admin = await newAdmin(web.node.pairly, web.url);
  const creator = await verifiedCreator(web.url, admin.token, { displayName: 'Cora' });
  const fan = await signUpApi(web.url, { displayName: 'Finn' });
  await callAs(web.url, creator, 'PUT', '/api/creator/page', { handle: `cora_${randomUUID().slice(0, 8)}` });
  await fund(web.node.pairly, fan.user.id, 100);

  const { page, problems } = await openPage(browser, `${web.url}/favicon.svg`, { viewport: PHONE });
  await signIn(page, web.url, creator, '/payouts');
  await page.getByRole('heading', { name: 'Payouts', level: 1 }).waitFor();
  await page.getByText('No payouts yet.').waitFor();
  await page.getByTestId('payout-available').filter({ hasText: /^0$/ }).waitFor();
  await checkPage(page, 'payouts-empty');

  // The tip commits; the creator's page hears wallet:updated and reads again: pending, inside the hold.
  await callAs(web.url, fan, 'POST', '/api/tips', { creatorId: creator.user.id, amount: 50, clientId: randomUUID() });
  await page.getByTestId('payout-pending').filter({ hasText: /^40$/ }).waitFor();
  await page.getByTestId('payout-available').filter({ hasText: /^0$/ }).waitFor();

  // Where the hold has passed: available. Onboarding with Stripe through its (stand-in) Express page.
  await signIn(page, noHold.url, creator, '/payouts');
  await page.getByTestId('payout-available').filter({ hasText: /^40$/ }).waitFor();
  await page.getByRole('button', { name: 'Set up Stripe payouts' }).click();
  await page.getByRole('heading', { name: 'Get paid by Pairly' }).waitFor();
  await page.getByRole('button', { name: 'Finish onboarding' }).click();
  await page.waitForURL(`${noHold.url}/payouts**`);
  await page.getByTestId('stripe-status').filter({ hasText: 'ready' }).waitFor();
  await page.getByRole('heading', { name: 'Request a payout' }).waitFor();
  await checkPage(page, 'payouts-ready');

  // The amount is shown before asking: 40 credits at 3 cents.
  const credits = page.getByRole('spinbutton', { name: 'Credits to pay out' });
  await credits.fill('40');
  await page.getByTestId('payout-amount').filter({ hasText: 'You receive $1.20 through Stripe.' }).waitFor();
  // By keyboard: focus the button, Enter.
  await page.getByRole('button', { name: 'Request payout' }).focus();
  await page.keyboard.press('Enter');
  await page.getByText(/^Requested\. An admin reviews it/).waitFor();
  await page.getByTestId('payout-row').filter({ hasText: 'Requested' }).waitFor();
  await page.getByTestId('payout-available').filter({ hasText: /^0$/ }).waitFor();
  await page.getByTestId('payout-paid-out').filter({ hasText: /^40$/ }).waitFor();
  await checkPage(page, 'payouts-requested');

  // The admin's queue: select it and approve the selection.
  const adminSession = await newAdminSession(web.node.pairly, noHold.url);
  const a = await openPage(browser, `${noHold.url}/favicon.svg`);
  await signIn(a.page, noHold.url, adminSession, '/admin');
  await a.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Payouts' }).click();
  const item = a.page.getByRole('listitem', { name: 'Payout of Cora: 40 credits' });
  await item.waitFor();
  await checkPage(a.page, 'admin-payouts-queue');
  await item.getByRole('checkbox', { name: 'Select the payout of Cora: 40 credits' }).check();
  await a.page.getByRole('button', { name: 'Approve selected (1)' }).click();
  await a.page.getByText('1 approved.').waitFor();
  await a.page.getByText('No payout is waiting for approval.').waitFor();

  // The job sends it; the creator's open page shows it on its way (the push after the send, no reload).
  const [row] = await waitFor(async () => {
    const rows = await pgQuery<{ id: string; status: string; provider_ref: string | null }>(web.backing.databaseUrl, `SELECT id, status, provider_ref FROM payouts WHERE creator_id = $1`, [creator.user.id]);
    return rows[0]?.status === 'processing' ? rows : undefined;
  }, 20_000, 'payout sent');
  await page.getByTestId('payout-row').filter({ hasText: 'On its way' }).waitFor();

  // Stripe's payout.paid arrives: the creator's open page turns it to Paid without a reload.
  const paid = stripe.payPayout(row!.provider_ref!);
  expect((await http(noHold.url, 'POST', '/api/payouts/webhooks/stripe', { raw: paid.payload, headers: paid.headers })).status).toBe(200);
  await page.getByTestId('payout-row').filter({ hasText: 'Paid' }).waitFor();
  await page.getByTestId('payout-paid-out').filter({ hasText: /^40$/ }).waitFor();
  await page.getByTestId('payout-available').filter({ hasText: /^0$/ }).waitFor();
  await checkPage(page, 'payouts-paid');
  expect(stripe.connectPayouts().filter((p) => p.payout.metadata.payoutId === row!.id)).toHaveLength(1);
  expect(problems).toEqual([]);
  expect(a.problems).toEqual([]);
}, 120_000);

