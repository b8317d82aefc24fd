import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';

/**
 * Reacting, replying, editing and deleting in a real browser, two people each in their own context, and a
 * second device of Ben's that is offline while a message is deleted and catches up by chat:sync.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  web = await startWebNode({ CHAT_MESSAGES_PER_10S: '1000', CHAT_FLOOD_PER_5S: '1000' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

async function call<T = unknown>(who: AuthResult, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${web.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${who.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const bubble = (page: Page, text: string | RegExp) => page.getByRole('log').getByRole('listitem').filter({ hasText: text });
const openMenu = async (page: Page, text: string) => {
  const row = bubble(page, text);
  await row.hover();
  await row.getByRole('button', { name: /Actions for message/ }).click();
  return page.getByRole('menu', { name: 'Message actions' });
};

it('A reacts and B sees it live; B edits and A sees "edited"; A replies, then deletes for everyone: a tombstone on both sides and on a device that was offline', async () => {
  const ada = await signUpApi(web.url, { displayName: 'Ada' });
  const ben = await signUpApi(web.url, { displayName: 'Ben' });
  const { conversationId } = await call<{ conversationId: string }>(ada, 'POST', '/api/conversations', { userId: ben.user.id });
  const path = `/chats/${conversationId}`;

  const a = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(a.page, web.url, ada, path);
  const b = await openPage(browser, web.url);
  await signIn(b.page, web.url, ben, path);

  // Ben's second device, whose connection can be cut (as in web-chat.test.ts).
  const b2 = await openPage(browser, web.url);
  let online = true;
  const servers: { close(): Promise<void> }[] = [];
  await b2.context.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!online) {
      ws.onMessage(() => undefined);
      return void ws.connectToServer().close();
    }
    servers.push(ws.connectToServer());
  });
  await signIn(b2.page, web.url, ben, path);

  await b.page.getByLabel('Message to Ada').fill('Lunch at noon?');
  await b.page.getByLabel('Message to Ada').press('Enter');
  await bubble(a.page, 'Lunch at noon?').waitFor();

  // Ada reacts through the message's menu; Ben sees it without reloading.
  const menu = await openMenu(a.page, 'Lunch at noon?');
  await checkPage(a.page, 'chat-message-menu');
  await menu.getByRole('menuitem', { name: 'React 👍' }).click();
  await bubble(a.page, 'Lunch at noon?').getByRole('button', { name: /👍 from You/ }).waitFor();
  await bubble(b.page, 'Lunch at noon?').getByRole('button', { name: /1\s+👍 from Ada/ }).waitFor();

  // Ben edits it; Ada sees the new text marked "edited".
  await (await openMenu(b.page, 'Lunch at noon?')).getByRole('menuitem', { name: 'Edit' }).click();
  const edit = b.page.getByRole('dialog', { name: 'Edit message' });
  await edit.getByLabel('Message').fill('Lunch at one?');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'hidden' });
  await bubble(a.page, 'Lunch at one?').getByText('edited', { exact: true }).waitFor();
  await expect(bubble(a.page, 'Lunch at noon?').count()).resolves.toBe(0);
  // The reaction stayed through the edit.
  await bubble(a.page, 'Lunch at one?').getByRole('button', { name: /👍 from You/ }).waitFor();
  await checkPage(a.page, 'chat-edited');

  // Ada answers in place, quoting Ben's message.
  await (await openMenu(a.page, 'Lunch at one?')).getByRole('menuitem', { name: 'Reply' }).click();
  await a.page.getByText('Replying to Ben').waitFor();
  await a.page.getByLabel('Message to Ben').fill('One works, see you there');
  await a.page.getByLabel('Message to Ben').press('Enter');
  const reply = bubble(b.page, 'One works, see you there');
  await reply.locator('blockquote').getByText('Lunch at one?').waitFor();
  await bubble(b2.page, 'One works, see you there').waitFor();

  // Ben's second device goes offline.
  online = false;
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await b2.page.getByText(/Reconnecting/).waitFor();

  // Ada deletes her reply for everyone: it asks first, then both sides show a tombstone in its place.
  await (await openMenu(a.page, 'One works, see you there')).getByRole('menuitem', { name: 'Delete…' }).click();
  const del = a.page.getByRole('dialog', { name: 'Delete message?' });
  await checkPage(a.page, 'chat-delete-dialog');
  await del.getByRole('button', { name: 'Delete for everyone' }).click();
  await bubble(a.page, 'You deleted this message').waitFor();
  await bubble(b.page, 'This message was deleted').waitFor();
  await expect(bubble(b.page, 'One works, see you there').count()).resolves.toBe(0);
  await checkPage(b.page, 'chat-tombstone');

  // The offline device still shows the reply; back online, its sync turns it into the tombstone.
  await bubble(b2.page, 'One works, see you there').waitFor();
  online = true;
  await bubble(b2.page, 'This message was deleted').waitFor({ timeout: 30_000 });
  await expect(bubble(b2.page, 'One works, see you there').count()).resolves.toBe(0);

  // After a reload the history says the same.
  await b.page.reload();
  await bubble(b.page, 'This message was deleted').waitFor();
  await bubble(b.page, 'Lunch at one?').getByText('edited', { exact: true }).waitFor();

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
  expect(b2.problems).toEqual([]);
  for (const p of [a, b, b2]) await p.context.close();
}, 120_000);
