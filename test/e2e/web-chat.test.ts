import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, startWebNode, typeUntilShown, type WebNode } from '../support/web.js';
import { connect } from '../support/client.js';
import { pgQuery } from '../support/services.js';

/**
 * Chats in a real browser, two (or three) people each in their own context:
 * a mutual like opens the conversation; typing, messages and read ticks go
 * across live both ways; a reload shows the history; a message is reported
 * and the peer blocked. A fan pays a creator's message price, shown before
 * sending, agrees to a changed price, and a fan without credits is sent to
 * the wallet.
 */

let web: WebNode;
let browser: Browser;

beforeAll(async () => {
  // Workers in this process: the sandbox purchase is processed as a job. Chat limits raised for the long conversation (36 sends at once); random matches pair at once.
  web = await startWebNode({ RUN_WORKERS: 'true', CHAT_MESSAGES_PER_10S: '1000', CHAT_FLOOD_PER_5S: '1000', MATCH_FALLBACK_MS: '300', MATCH_PAIR_INTERVAL_MS: '50' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
});

async function call<T = unknown>(who: AuthResult, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${web.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${who.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const wallet = async (who: AuthResult) => (await call<{ wallet: { available: number } }>(who, 'GET', '/api/wallet')).wallet.available;

/** The message's row in the thread's log. */
const bubble = (page: Page, text: string | RegExp) => page.getByRole('log').getByRole('listitem').filter({ hasText: text });

it('two people who like each other chat live: typing, messages, read ticks, history, report and block', async () => {
  const ada = await signUpApi(web.url, { displayName: 'Ada' });
  const ben = await signUpApi(web.url, { displayName: 'Ben' });
  // Liking needs a profile on the other side.
  await call(ada, 'PUT', '/api/profile', { bio: 'Climbing and old maps.', interests: ['climbing'] });
  await call(ben, 'PUT', '/api/profile', { bio: 'Bread, bikes, board games.', interests: ['bikes'] });

  const a = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(a.page, web.url, ada, '/chats');
  await a.page.getByText('No conversations yet').waitFor();
  await checkPage(a.page, 'chats-empty');

  await call(ada, 'POST', `/api/discover/${ben.user.id}/like`);
  const match = await call<{ matched: boolean; conversationId: string }>(ben, 'POST', `/api/discover/${ada.user.id}/like`);
  expect(match.matched).toBe(true);
  // The mutual match reaches Ada's open list by itself, and its moment shows on whatever page she is on.
  const benRow = a.page.getByRole('link', { name: /Ben/ });
  await benRow.waitFor();
  const moment = a.page.getByRole('dialog', { name: 'It’s a match!' });
  await moment.waitFor();
  await moment.getByRole('button', { name: 'Keep discovering' }).click();
  await moment.waitFor({ state: 'hidden' });

  const b = await openPage(browser, web.url);
  await signIn(b.page, web.url, ben, '/chats');
  const adaRow = b.page.getByRole('link', { name: /Ada/ });
  await adaRow.getByText('Online').waitFor();

  await benRow.click();
  await a.page.waitForURL(new RegExp(`/chats/${match.conversationId}$`));
  await a.page.getByRole('heading', { name: 'Ben', level: 1 }).waitFor();
  await a.page.getByText('This is the start of your conversation with Ben').waitFor();
  const aBox = a.page.getByLabel('Message to Ben');
  await aBox.fill('Hello Ben');
  await adaRow.getByText('typing…').waitFor();

  await aBox.press('Enter');
  await expect(aBox).toBeDefined();
  expect(await aBox.inputValue()).toBe('');
  await bubble(a.page, 'Hello Ben').getByText('Sent', { exact: true }).or(bubble(a.page, 'Hello Ben').getByText('Delivered', { exact: true })).waitFor();
  // Ben's list shows it live, unread, and the Chats link counts it.
  await adaRow.getByText('Hello Ben').waitFor();
  await adaRow.getByText('1 unread').waitFor();
  await b.page.getByRole('link', { name: /^Chats\s*1 unread$/ }).waitFor();
  await bubble(a.page, 'Hello Ben').getByText('Delivered', { exact: true }).waitFor();
  await checkPage(b.page, 'chats-list');

  await adaRow.click();
  await bubble(b.page, 'Hello Ben').waitFor();
  // Ben has it on screen: Ada sees it read, and Ben's unread count is gone.
  await bubble(a.page, 'Hello Ben').getByText('Read', { exact: true }).waitFor();
  await b.page.getByRole('link', { name: 'Chats', exact: true }).waitFor();

  const bBox = b.page.getByLabel('Message to Ada');
  await typeUntilShown(bBox, 'Hi Ada!', a.page.getByText('Ben is typing…'));
  // Shift+Enter is a new line, Enter sends.
  await bBox.press('Shift+Enter');
  await bBox.pressSequentially('How are you?');
  await bBox.press('Enter');
  await bubble(a.page, 'How are you?').waitFor();
  expect(await bubble(a.page, 'How are you?').locator('p').innerText()).toBe('Hi Ada!\nHow are you?');
  await a.page.getByText('Ben is typing…').waitFor({ state: 'detached' });
  await bubble(b.page, 'How are you?').getByText('Read', { exact: true }).waitFor();
  await checkPage(b.page, 'chat-thread');

  // A reload shows the history, in order.
  await a.page.reload();
  await bubble(a.page, 'How are you?').waitFor();
  const texts = await a.page.getByRole('log').getByRole('listitem').filter({ has: a.page.locator('p') }).allInnerTexts();
  expect(texts.findIndex((t) => t.includes('Hello Ben'))).toBeLessThan(texts.findIndex((t) => t.includes('How are you?')));
  await checkPage(a.page, 'chat-thread-history');

  // Reporting Ben's message asks for a reason.
  await bubble(a.page, 'How are you?').getByRole('button', { name: /Report message/ }).click();
  const report = a.page.getByRole('dialog', { name: 'Report this message' });
  await report.getByRole('button', { name: 'Send report' }).click();
  await report.getByText('Choose what is wrong.').waitFor();
  await checkPage(a.page, 'chat-report-dialog');
  await report.getByLabel('What is wrong?').selectOption({ label: 'Something else' });
  await report.getByLabel('Anything to add? (optional)').fill('Testing the report flow');
  await report.getByRole('button', { name: 'Send report' }).click();
  await a.page.getByText('Our moderators will look at this message').waitFor();

  // Blocking asks first; then neither can write to the other.
  await a.page.getByRole('button', { name: 'Block' }).click();
  const confirm = a.page.getByRole('dialog', { name: 'Block Ben?' });
  await confirm.getByRole('button', { name: 'Block Ben' }).click();
  await a.page.getByText('You blocked Ben.').first().waitFor();
  await expect(a.page.getByLabel('Message to Ben').count()).resolves.toBe(0);
  await bBox.fill('Still there?');
  await bBox.press('Enter');
  await b.page.getByText('You cannot message Ada.').waitFor();

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
  await a.context.close();
  await b.context.close();
}, 120_000);

it('a fan sees a creator’s message price before sending, pays it, agrees to a new price; without credits the wallet is offered', async () => {
  const cleo = await signUpApi(web.url, { displayName: 'Cleo', role: 'creator' });
  await call(cleo, 'PATCH', '/api/me', { messagePrice: 5 });
  const finn = await signUpApi(web.url, { displayName: 'Finn' });
  const zoe = await signUpApi(web.url, { displayName: 'Zoe' });

  // Cleo keeps her wallet open: her earnings move as Finn pays (issue #10, journey 2: both balances live).
  const cw = await openPage(browser, web.url);
  await signIn(cw.page, web.url, cleo, '/wallet');
  await cw.page.getByTestId('wallet-earnings').filter({ hasText: /^0$/ }).waitFor();

  // Finn buys the starter pack in the wallet, through the sandbox provider's checkout.
  const { conversationId } = await call<{ conversationId: string }>(finn, 'POST', '/api/conversations', { userId: cleo.user.id });
  const f = await openPage(browser, web.url);
  await signIn(f.page, web.url, finn, '/wallet');
  await f.page.getByRole('button', { name: 'Buy 100 credits' }).click();
  await f.page.getByRole('heading', { name: 'Test payment — no real money' }).waitFor();
  await f.page.getByRole('button', { name: /^Pay / }).click();
  await f.page.getByRole('heading', { name: 'Payment received' }).waitFor();
  await f.page.getByTestId('nav-balance').filter({ hasText: /^100$/ }).waitFor();
  expect(await wallet(finn)).toBe(100);

  // The price is on the thread before anything is sent.
  await f.page.goto(`${web.url}/chats/${conversationId}`);
  const send = f.page.getByRole('button', { name: 'Send · 5 credits' });
  await send.waitFor();
  await f.page.getByText('Each message to Cleo costs 5 credits').waitFor();
  await f.page.getByText('You have 100 credits.').waitFor();
  await f.page.getByRole('link', { name: /Cleo.*5 credits \/ message/ }).waitFor();
  await checkPage(f.page, 'chat-thread-priced');

  const c = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(c.page, web.url, cleo, '/chats');
  // Cleo's list is on screen (the conversation Finn opened, no message yet) before he sends: what follows arrives live.
  await c.page.getByRole('link', { name: /Finn/ }).waitFor();

  await f.page.getByLabel('Message to Cleo').fill('Big fan of your work');
  await send.click();
  await bubble(f.page, 'Big fan of your work').getByText('Sent', { exact: true }).or(bubble(f.page, 'Big fan of your work').getByText('Delivered', { exact: true })).waitFor();
  await bubble(f.page, 'Big fan of your work').getByText('5 credits').waitFor();
  await f.page.getByTestId('nav-balance').filter({ hasText: /^95$/ }).waitFor();
  // Cleo's earnings went up without a reload: 5 credits less the 20% platform fee.
  await cw.page.getByTestId('wallet-earnings').filter({ hasText: /^4$/ }).waitFor();
  // The creator sees it arrive, with what it paid.
  await c.page.getByRole('link', { name: /Finn/ }).getByText('Big fan of your work').click();
  await bubble(c.page, 'Big fan of your work').getByText('5 credits').waitFor();

  // The price changes under Finn's open thread: the send is refused, the new price shown, and sent once agreed.
  await call(cleo, 'PATCH', '/api/me', { messagePrice: 7 });
  await f.page.getByLabel('Message to Cleo').fill('Would you do a video call?');
  await f.page.getByLabel('Message to Cleo').press('Enter');
  const changed = bubble(f.page, 'Would you do a video call?').getByRole('alert');
  await changed.getByText('a message now costs 7 credits').waitFor();
  await f.page.getByRole('button', { name: 'Send · 7 credits' }).first().waitFor();
  await checkPage(f.page, 'chat-price-changed');
  await changed.getByRole('button', { name: 'Send · 7 credits' }).click();
  await bubble(f.page, 'Would you do a video call?').getByText('7 credits').waitFor();
  await changed.waitFor({ state: 'detached' });
  await f.page.getByTestId('nav-balance').filter({ hasText: /^88$/ }).waitFor();
  expect(await wallet(finn)).toBe(88);

  // Zoe has no credits: the server refuses, nothing is charged, and the way to buy credits is right there.
  const z = await call<{ conversationId: string }>(zoe, 'POST', '/api/conversations', { userId: cleo.user.id });
  const zp = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(zp.page, web.url, zoe, `/chats/${z.conversationId}`);
  await zp.page.getByText('You have 0 credits.').waitFor();
  await zp.page.getByLabel('Message to Cleo').fill('Hi Cleo');
  await zp.page.getByRole('button', { name: 'Send · 7 credits' }).click();
  const refusal = bubble(zp.page, 'Hi Cleo').getByRole('alert');
  await refusal.getByText('You do not have enough credits').waitFor();
  await checkPage(zp.page, 'chat-insufficient-credits');
  await refusal.getByRole('link', { name: 'Buy credits' }).click();
  await zp.page.waitForURL(/\/wallet$/);
  expect(await wallet(zoe)).toBe(0);

  expect(f.problems).toEqual([]);
  expect(c.problems).toEqual([]);
  expect(cw.problems).toEqual([]);
  expect(zp.problems).toEqual([]);
  await Promise.all([f.context.close(), c.context.close(), cw.context.close(), zp.context.close()]);
}, 120_000);

it('a long conversation from days ago opens at the newest messages and pages upward to the first', async () => {
  const dee = await signUpApi(web.url, { displayName: 'Dee' });
  const eli = await signUpApi(web.url, { displayName: 'Eli' });
  const { conversationId } = await call<{ conversationId: string }>(dee, 'POST', '/api/conversations', { userId: eli.user.id });
  const socket = await connect(web.url, dee.accessToken);
  try {
    for (let i = 1; i <= 36; i++) {
      const ack = await socket.timeout(5000).emitWithAck('chat:send', { conversationId, clientId: crypto.randomUUID(), body: `Note number ${i}` });
      if (!ack.ok) throw new Error(`send ${i}: ${JSON.stringify(ack)}`);
    }
  } finally {
    socket.close();
  }
  // Written two days ago: older than what chat:sync brings on connect, so only history paging shows them.
  await pgQuery(web.backing.databaseUrl, `UPDATE messages SET created_at = created_at - interval '2 days' WHERE conversation_id = $1`, [conversationId]);
  const e = await openPage(browser, web.url, { viewport: PHONE });
  await signIn(e.page, web.url, eli, `/chats/${conversationId}`);
  await bubble(e.page, 'Note number 36').waitFor();
  const first = bubble(e.page, /Note number 1(?!\d)/);
  expect(await first.count()).toBe(0);
  const older = e.page.getByRole('button', { name: 'Load older messages' });
  await older.waitFor();
  // Scrolling to the top loads the older page (the button does the same for keyboards).
  await e.page.getByRole('log').evaluate((el) => (el as unknown as { parentElement: { scrollTop: number } }).parentElement.scrollTop = 0);
  await first.waitFor();
  await e.page.getByText('This is the beginning of your conversation with Dee.').waitFor();
  const seqs = await e.page.getByRole('log').getByRole('listitem').filter({ hasText: /Note number \d+/ }).allInnerTexts();
  const numbers = seqs.map((t) => Number(/Note number (\d+)/.exec(t)![1]));
  expect(numbers).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
  await checkPage(e.page, 'chat-thread-paged');
  expect(e.problems).toEqual([]);
  await e.context.close();
}, 60_000);

it('after a dropped connection the thread catches up by chat:sync and sends what was written offline', async () => {
  const gus = await signUpApi(web.url, { displayName: 'Gus' });
  const hal = await signUpApi(web.url, { displayName: 'Hal' });
  const { conversationId } = await call<{ conversationId: string }>(hal, 'POST', '/api/conversations', { userId: gus.user.id });
  const halSocket = await connect(web.url, hal.accessToken);
  const send = async (body: string) => {
    const ack = await halSocket.timeout(5000).emitWithAck('chat:send', { conversationId, clientId: crypto.randomUUID(), body });
    if (!ack.ok) throw new Error(`send: ${JSON.stringify(ack)}`);
  };
  const heard: string[] = [];
  halSocket.on('chat:message', (m) => heard.push(m.body));
  try {
    await send('Before the tunnel');
    // While "offline" this journey closes each WebSocket as it opens: the client's first write (Socket.IO's
    // connect packet) can meet a socket already closing, which Chromium reports on the console.
    const g = await openPage(browser, web.url, { viewport: PHONE, allowConsole: [/^WebSocket is already in CLOSING or CLOSED state\.$/] });
    // Gus's network: the page's WebSocket goes through here, and can be cut and refused while "offline".
    let online = true;
    let refused = 0;
    const servers: { close(): Promise<void> }[] = [];
    await g.context.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (!online) {
        // Refused: nothing the page says reaches the server, and the connection closes at once.
        refused++;
        ws.onMessage(() => undefined);
        return void ws.connectToServer().close();
      }
      servers.push(ws.connectToServer());
    });
    await signIn(g.page, web.url, gus, `/chats/${conversationId}`);
    await bubble(g.page, 'Before the tunnel').waitFor();

    online = false;
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await g.page.getByText(/Reconnecting/).waitFor();
    await g.page.getByLabel('Message to Hal').fill('Written in the tunnel');
    await g.page.getByLabel('Message to Hal').press('Enter');
    await bubble(g.page, 'Written in the tunnel').getByText('goes out by itself when the connection is back').waitFor();
    await send('Sent while you were away');
    await send('And one more');
    await checkPage(g.page, 'chat-offline');
    // The app keeps trying while offline; come back only after it was refused at least once.
    for (let i = 0; i < 100 && refused === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(refused).toBeGreaterThan(0);

    online = true;
    // Nothing reloads the history: the reconnect's chat:sync brings what was missed, in order, and the waiting send goes out once.
    await bubble(g.page, 'And one more').waitFor({ timeout: 30_000 });
    await bubble(g.page, 'Written in the tunnel').getByText(/^(Sent|Delivered|Read)$/).waitFor();
    const order = await g.page.getByRole('log').getByRole('listitem').filter({ has: g.page.locator('p') }).allInnerTexts();
    const at = (s: string) => order.findIndex((t) => t.includes(s));
    expect(at('Before the tunnel')).toBeLessThan(at('Sent while you were away'));
    expect(at('Sent while you were away')).toBeLessThan(at('And one more'));
    for (let i = 0; i < 50 && !heard.includes('Written in the tunnel'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(heard.filter((b) => b === 'Written in the tunnel')).toHaveLength(1);
    expect(g.problems).toEqual([]);
    await g.context.close();
  } finally {
    halSocket.close();
  }
}, 90_000);

it('a random-match conversation that ended says so when someone writes in it', async () => {
  const ivy = await signUpApi(web.url, { displayName: 'Ivy' });
  const jon = await signUpApi(web.url, { displayName: 'Jon' });
  const [si, sj] = await Promise.all([connect(web.url, ivy.accessToken), connect(web.url, jon.accessToken)]);
  try {
    const found = new Promise<{ conversationId: string }>((resolve) => si.once('match:found', resolve));
    for (const s of [si, sj]) {
      const ack = await s.timeout(5000).emitWithAck('match:join', { mode: 'text', interests: ['lighthouses'] });
      if (!ack.ok) throw new Error(`match:join: ${JSON.stringify(ack)}`);
    }
    const { conversationId } = await found;
    const i = await openPage(browser, web.url, { viewport: PHONE });
    await signIn(i.page, web.url, ivy, `/chats/${conversationId}`);
    await i.page.getByRole('heading', { name: 'Jon', level: 1 }).waitFor();
    // Jon leaves: the session and its conversation end.
    const left = await sj.timeout(5000).emitWithAck('match:leave', {});
    expect(left.ok).toBe(true);
    // Starting to write is enough: the typing signal is refused with CONVERSATION_CLOSED.
    await i.page.getByLabel('Message to Jon').fill('Are you still there?');
    await i.page.getByText('This conversation has ended.').first().waitFor();
    await expect(i.page.getByLabel('Message to Jon').count()).resolves.toBe(0);
    await checkPage(i.page, 'chat-ended');
    expect(i.problems).toEqual([]);
    await i.context.close();
  } finally {
    si.close();
    sj.close();
  }
}, 60_000);

it('the list shows the newest 50 conversations and the older ones on request', async () => {
  const kim = await signUpApi(web.url, { displayName: 'Kim' });
  const others = [];
  for (let i = 0; i < 51; i += 17) others.push(...(await Promise.all(Array.from({ length: Math.min(17, 51 - i) }, (_, j) => signUpApi(web.url, { displayName: `Peer ${i + j + 1}` })))));
  // Written to oldest first: Peer 1's is the oldest conversation. (The list pages by last message: conversations need one.)
  const socket = await connect(web.url, kim.accessToken);
  try {
    for (const o of others) {
      const { conversationId } = await call<{ conversationId: string }>(kim, 'POST', '/api/conversations', { userId: o.user.id });
      const clientId = crypto.randomUUID();
      for (;;) {
        const ack = await socket.timeout(5000).emitWithAck('chat:send', { conversationId, clientId, body: `Hi ${o.user.displayName}` });
        if (ack.ok) break;
        if (ack.error.code !== 'RATE_LIMITED') throw new Error(`send: ${JSON.stringify(ack)}`);
        await new Promise((r) => setTimeout(r, (ack.error.retryAfterSeconds ?? 1) * 1000));
      }
    }
  } finally {
    socket.close();
  }
  const k = await openPage(browser, web.url);
  await signIn(k.page, web.url, kim, '/chats');
  const rows = k.page.getByRole('list').first().getByRole('link');
  await k.page.getByRole('link', { name: /Peer 51\b/ }).waitFor();
  expect(await rows.count()).toBe(50);
  expect(await k.page.getByRole('link', { name: /Peer 1\b/ }).count()).toBe(0);
  await k.page.getByRole('button', { name: 'Show older conversations' }).click();
  await k.page.getByRole('link', { name: /Peer 1\b/ }).waitFor();
  expect(await rows.count()).toBe(51);
  await expect(k.page.getByRole('button', { name: 'Show older conversations' }).count()).resolves.toBe(0);

  // A stranger writes first: a conversation the list does not hold, so the page reads the list again. The older
  // page the reader opened stays below the new first page (a refetch once took it away: Peer 1 vanished).
  const nova = await signUpApi(web.url, { displayName: 'Nova' });
  const { conversationId } = await call<{ conversationId: string }>(nova, 'POST', '/api/conversations', { userId: kim.user.id });
  const ns = await connect(web.url, nova.accessToken);
  try {
    const ack = await ns.timeout(5000).emitWithAck('chat:send', { conversationId, clientId: crypto.randomUUID(), body: 'Hi Kim' });
    expect(ack.ok).toBe(true);
  } finally {
    ns.close();
  }
  await k.page.getByRole('link', { name: /\bNova\b/ }).waitFor();
  await k.page.getByRole('link', { name: /Peer 1\b/ }).waitFor();
  expect(await rows.count()).toBe(52);
  expect(k.problems).toEqual([]);
  await k.context.close();
}, 60_000);

it('a page whose stylesheet fails to load (a deploy replaced it, a dropped request) loads itself again and opens', async () => {
  const lou = await signUpApi(web.url, { displayName: 'Lou' });
  const l = await openPage(browser, web.url);
  // The chats page's own stylesheet (a chunk loaded with the page), refused the first time it is asked for.
  const refused: string[] = [];
  await l.context.route(/\/assets\/chat-[\w-]+\.css$/, (route) => {
    if (refused.length > 0) return route.continue();
    refused.push(route.request().url());
    return route.abort();
  });
  await signIn(l.page, web.url, lou, '/chats');
  await l.page.getByRole('heading', { name: 'Chats', level: 1 }).waitFor();
  expect(refused).toHaveLength(1);
  // It reloaded itself once (the mark it keeps against a reload loop), and the stylesheet is in now.
  expect(await l.page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('pairly.chunkReloadAt'))).not.toBeNull();
  expect(await l.page.evaluate(() => (globalThis as unknown as { document: { styleSheets: { href: string | null }[] } }).document.styleSheets.length)).toBeGreaterThan(0);
  // The refused request is the only problem: Chromium logs it, and nothing of the app failed.
  expect(l.problems.filter((p) => !p.includes('net::ERR_FAILED'))).toEqual([]);
  await l.context.close();
});

it('a page file missing even after that reload shows the error screen, whose button loads the page again', async () => {
  const max = await signUpApi(web.url, { displayName: 'Max' });
  const m = await openPage(browser, web.url);
  // Refused every time: the reload does not help, and the tab must not reload again and again.
  let refusals = 0;
  const refuse = (route: import('playwright-core').Route) => {
    refusals++;
    return route.abort();
  };
  await m.context.route(/\/assets\/chat-[\w-]+\.css$/, refuse);
  await signIn(m.page, web.url, max, '/chats');
  await m.page.getByRole('alert').getByText('This page could not be shown').waitFor();
  expect(refusals).toBe(2); // the first load and the one reload, no more
  await checkPage(m.page, 'page-could-not-be-shown');
  // The file is back (a network that recovered): the button opens the page.
  await m.context.unroute(/\/assets\/chat-[\w-]+\.css$/, refuse);
  await m.page.getByRole('button', { name: 'Load the page again' }).click();
  await m.page.getByRole('heading', { name: 'Chats', level: 1 }).waitFor();
  // What the failures logged: the refused requests, and React reporting the page it could not render.
  expect(m.problems.filter((p) => !p.includes('net::ERR_FAILED') && !/preload CSS|could not be shown|chat-[\w-]+\.css/.test(p))).toEqual([]);
  await m.context.close();
});
