import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { connect } from '../support/client.js';
import { callAs, checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';
import { newAdminSession } from '../support/ledger.js';

/**
 * Reports to decisions in a real browser (issue #18): a fan reports a message from the message menu; an admin
 * finds it in the Reports tab with the words as reported and suspends the sender for a day; the sender's page,
 * open all along, switches to the suspended screen live (the decision comes with the close of its session, and as the account:standing push)
 * and sends the one appeal from there, signed out; the fan is told the outcome and finds it in her reports.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

it('a fan reports a message, an admin suspends its sender from the queue, and the sender’s open page shows it live', async () => {
  const fan = await signUpApi(web.url, { displayName: 'Fay' });
  const sender = await signUpApi(web.url, { displayName: 'Rex' });
  const { conversationId } = await callAs<{ conversationId: string }>(web.url, sender, 'POST', '/api/conversations', { userId: fan.user.id });
  const socket = await connect(web.url, sender.accessToken);
  const sent = await (socket as any).timeout(5000).emitWithAck('chat:send', { clientId: randomUUID(), conversationId, body: 'Pay me or else' });
  expect(sent.ok).toBe(true);
  socket.close();

  // Rex has the conversation open.
  const r = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(r.page, web.url, sender, `/chats/${conversationId}`);
  await r.page.getByRole('log').getByText('Pay me or else', { exact: true }).waitFor({ timeout: 30_000 });

  const f = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(f.page, web.url, fan, `/chats/${conversationId}`);
  const bubble = f.page.getByRole('log').getByRole('listitem').filter({ hasText: 'Pay me or else' });
  await bubble.getByRole('button', { name: /Report message/ }).click();
  const dialog = f.page.getByRole('dialog', { name: 'Report this message' });
  await dialog.getByLabel('What is wrong?').selectOption({ label: 'Violence or threats' });
  await dialog.getByLabel('Anything to add? (optional)').fill('He threatens me');
  await checkPage(f.page, 'report-dialog');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await f.page.getByText('Our moderators will look at this message').waitFor();

  const admin = await newAdminSession(web.node.pairly, web.url);
  const a = await openPage(browser, web.url);
  await signIn(a.page, web.url, admin, '/admin');
  await a.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Reports' }).click();
  const entry = a.page.getByRole('listitem', { name: 'Reports against Rex' });
  await entry.getByText('Pay me or else', { exact: true }).waitFor();
  await entry.getByText('Violence or threats').waitFor();
  await checkPage(a.page, 'admin-reports-queue');
  const form = entry.getByRole('form', { name: 'Decide on Rex', exact: true });
  await form.getByLabel('Decision').selectOption('suspend');
  await form.getByLabel('Suspended until').fill(localInput(new Date(Date.now() + 86_400_000)));
  await form.getByLabel('Reason').fill('Threats in chat');
  await form.getByRole('button', { name: 'Apply' }).click();
  await a.page.getByText('No open reports.').waitFor();

  // Rex's page, still open, was told and signed out.
  await r.page.getByRole('heading', { name: 'Account suspended' }).waitFor();
  await r.page.getByText(/Your account is suspended until/).waitFor();
  await r.page.getByText('Reason: Threats in chat').waitFor();
  await checkPage(r.page, 'suspended-screen');
  await r.page.getByLabel('Your appeal').fill('It was a joke between friends');
  await r.page.getByRole('button', { name: 'Send appeal' }).click();
  await r.page.getByText('Your appeal was sent.').waitFor();

  // Fay hears the outcome on the page she has open, and finds it in her reports.
  await f.page.getByText('A moderator reviewed a report you sent: action was taken.').waitFor();
  await f.page.getByRole('link', { name: 'Your reports' }).click();
  await f.page.getByText(/Violence or threats · a message · .* · Action taken/).waitFor();
  await checkPage(f.page, 'my-reports');

  // The appeal is in the admin's queue.
  await a.page.reload();
  await a.page.getByRole('listitem', { name: 'Appeal of Rex' }).getByText('It was a joke between friends').waitFor();
}, 120_000);

/** A datetime-local input's value for a time (local wall clock, minutes). */
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
