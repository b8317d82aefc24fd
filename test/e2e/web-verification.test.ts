import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkPage, launchBrowser, loadedWidth, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';
import { jpegWithGps, noisePng } from '../support/media.js';
import { tempDir } from '../support/pairly.js';
import { newAdminSession } from '../support/ledger.js';

/**
 * Creator verification in a real browser (issue #13), on a node with the embedded storage driver and its job
 * workers (the photos are processed for real): a creator fills in the form on a phone and uploads the ID
 * document and the selfie, submits, and waits; an admin sees both photos in the admin queue and approves;
 * the creator's open page says "verified" without a reload (the verification:updated push).
 */

let web: WebNode;
let browser: Browser;
const data = tempDir('web-verification');

beforeAll(async () => {
  web = await startWebNode({ MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: data.path, RUN_WORKERS: 'true' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  data.remove();
});

it('a creator submits the form with both photos, an admin approves in the queue, and the creator sees "verified" live', async () => {
  const creator = await signUpApi(web.url, { displayName: 'Ada', role: 'creator', birthdate: '1992-03-04' });
  const c = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(c.page, web.url, creator, '/studio');
  // The browser's first page of the file (a cold start of the app's chunks): given longer than a later step,
  // as CI runs two files at once on two cores.
  await c.page.getByRole('heading', { name: 'Studio', level: 1 }).waitFor({ timeout: 30_000 });
  await c.page.getByRole('link', { name: 'Verification' }).first().click();
  const form = c.page.getByRole('region', { name: 'Verify your identity' });
  await form.waitFor();
  await checkPage(c.page, 'verification-empty');

  await form.getByLabel('Legal name').fill('Ada Lovelace');
  await form.getByLabel('Date of birth').fill('1992-03-04');
  await form.getByLabel('Country').selectOption({ label: 'Germany' });
  await form.getByLabel('ID document photo').setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: await jpegWithGps(900, 600) });
  await form.getByLabel('Selfie').setInputFiles({ name: 'selfie.png', mimeType: 'image/png', buffer: await noisePng(400) });
  await expect.poll(() => form.getByText('Ready.', { exact: true }).count(), { timeout: 60_000 }).toBe(2);
  expect(await loadedWidth(form.getByRole('img', { name: 'Your selfie' }))).toBeGreaterThan(0);
  await checkPage(c.page, 'verification-filled');
  // Submitted with the keyboard: focus on the button, Enter.
  await form.getByRole('button', { name: 'Submit for review' }).focus();
  await c.page.keyboard.press('Enter');
  await c.page.getByText(/waiting for review/).waitFor();
  await checkPage(c.page, 'verification-pending');

  const admin = await newAdminSession(web.node.pairly, web.url);
  const a = await openPage(browser, web.url);
  await signIn(a.page, web.url, admin, '/admin');
  await a.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Verification' }).click();
  const item = a.page.getByRole('listitem', { name: 'Verification of Ada Lovelace' });
  await item.waitFor();
  // Both photos really load for the admin (signed URLs of the private kind).
  expect(await loadedWidth(item.getByRole('img', { name: 'ID document of Ada Lovelace' }))).toBeGreaterThan(0);
  expect(await loadedWidth(item.getByRole('img', { name: 'Selfie of Ada Lovelace' }))).toBeGreaterThan(0);
  await checkPage(a.page, 'admin-verification-queue');
  await item.getByRole('button', { name: 'Approve Ada Lovelace' }).click();
  await a.page.getByText('Ada Lovelace is approved.').waitFor();
  await a.page.getByText('No verification is waiting for review.').waitFor();

  // The creator's page, still open, was told.
  await c.page.getByText('You are verified.').waitFor();
  expect(await form.count()).toBe(0);
  await checkPage(c.page, 'verification-verified');
}, 120_000);
