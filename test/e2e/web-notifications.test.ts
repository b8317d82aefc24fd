import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { connect, waitFor } from '../support/client.js';
import { startPushStandin, type PushStandin } from '../support/push-standin.js';
import { callAs, checkPage, launchBrowser, openPage, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Notifications in a real browser: Ben is away (no page open) when Ada writes to him; his browser's push
 * subscription (at a local push-service stand-in) gets the push while the page is closed; he comes back,
 * the bell shows it, the notifications page lists "2 new messages from Ada", and opening it leads to the chat.
 */
let web: WebNode;
let browser: Browser;
let push: PushStandin;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  push = await startPushStandin();
  web = await startWebNode({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, NOTIFY_PUSH_HTTP_ENDPOINTS: 'true' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await push?.close();
});

it('a user away gets a web push, then sees the bell and the notification when back', async () => {
  const ada = await signUpApi(web.url, { displayName: 'Ada' });
  const ben = await signUpApi(web.url, { displayName: 'Ben' });
  // Ben's browser subscribed earlier (what Settings → Turn on browser notifications registers); its page is closed now.
  const bensBrowser = push.subscribe();
  await callAs(web.url, ben, 'POST', '/api/notifications/push/subscriptions', bensBrowser);

  const socket = await connect(web.url, ada.accessToken);
  for (const body of ['Hi Ben', 'Are you around?']) {
    const ack = await (socket as any).timeout(5000).emitWithAck('chat:send', { toUserId: ben.user.id, clientId: randomUUID(), body });
    expect(ack.ok).toBe(true);
  }
  socket.close();
  const delivered = await waitFor(() => push.received.find((p) => (p.payload as { body: string }).body === '2 new messages from Ada'), 15_000, 'the push of both messages');
  expect((delivered.payload as { link: string }).link).toMatch(/^\/chats\//);
  expect(push.refused).toEqual([]);

  // On a phone: the links' row scrolls sideways, and the bell must not be scrolled away in it.
  const phone = { width: 390, height: 844 };
  const b = await openPage(browser, web.url, { viewport: phone });
  await signIn(b.page, web.url, ben, '/discover');
  const bell = b.page.getByRole('link', { name: 'Notifications: 1 unread' });
  await bell.waitFor();
  for (const path of ['/discover', '/settings']) {
    if (path !== '/discover') await b.page.getByRole('link', { name: 'Settings' }).click();
    const box = (await bell.boundingBox())!;
    expect(box, `the bell on ${path}`).not.toBeNull();
    expect([box.x >= 0, box.x + box.width <= phone.width, box.y + box.height <= 80], `the bell on ${path} at ${JSON.stringify(box)}`).toEqual([true, true, true]);
  }
  await bell.click();
  await b.page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  const item = b.page.getByRole('list', { name: 'Notifications' }).getByRole('button', { name: /2 new messages from Ada/ });
  await item.waitFor();
  await checkPage(b.page, 'notifications');
  await item.click();
  await b.page.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
  await b.page.getByRole('link', { name: 'Notifications', exact: true }).waitFor();
});
