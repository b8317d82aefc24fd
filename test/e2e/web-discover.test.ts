import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AuthResult } from '../../shared/auth.js';
import { checkPage, launchBrowser, openPage, PHONE, signIn, signUpApi, signUpThroughForm, startWebNode, typeUntilShown, type WebNode } from '../support/web.js';

/**
 * Onboarding, discover and the public profile in a real browser, and issue
 * #10's first journey: Ada and Bo sign up through the form, each in a browser
 * context of their own. Ada sets herself up through the onboarding pages (her
 * location from the browser's geolocation); Bo does it through the API. Ada
 * likes Bo with the keyboard, Bo likes her back: Bo sees the match from his
 * like's answer, Ada from the `match:mutual` push, both land in the same
 * conversation and chat (typing, messages, read ticks, live both ways). Then a creator's profile shows its prices before anything
 * is paid, a call button asks the call layer for a call at the shown price,
 * and a block (confirmed in a dialog) leaves the profile for good.
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

async function call<T>(auth: AuthResult, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${web.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
}

/** The element that has focus is inside the open dialog (runs in the page; the test has no DOM types). */
const focusInDialog = (page: Page) =>
  page.evaluate(() => {
    const d = (globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null } }).document;
    return d.activeElement?.closest('dialog[open]') != null;
  });

it('two people sign up in their own browsers, onboard, match live and chat; a creator\'s profile shows its prices; a block', async () => {
  const cleo = await signUpApi(web.url, { displayName: 'Cleo', role: 'creator' });

  // --- Ada signs up in her browser at phone width, and onboards with her location from the browser (Berlin, Alexanderplatz).
  const a = await openPage(browser, web.url, { viewport: PHONE, allowStatus: [404] });
  await a.context.grantPermissions(['geolocation'], { origin: web.url });
  await a.context.setGeolocation({ latitude: 52.52184, longitude: 13.41326 });
  const ap = a.page;
  const ada = await signUpThroughForm(ap, web.url, { displayName: 'Ada', birthdate: '1994-03-03' });
  // Bo signs up in his own browser, at desktop width.
  const b = await openPage(browser, web.url);
  const bp = b.page;
  const bo = await signUpThroughForm(bp, web.url, { displayName: 'Bo Lindqvist', birthdate: '1992-07-07' });
  await ap.getByRole('heading', { name: /Tell people about yourself/ }).waitFor();
  expect(await ap.getByRole('link', { name: /About you/ }).getAttribute('aria-current')).toBe('step');
  await checkPage(ap, 'onboarding-profile');

  await ap.getByLabel('About me').fill('Climber, jazz on vinyl, terrible at chess.');
  await ap.getByRole('radio', { name: 'Woman', exact: true }).check();
  const interests = ap.getByRole('textbox', { name: 'Interests' });
  await interests.fill('Hiking');
  await interests.press('Enter');
  await interests.fill('no!way');
  await interests.press('Enter');
  await ap.locator('.field-error').filter({ hasText: '"no!way"' }).waitFor();
  await interests.fill('jazz');
  await interests.press('Enter');
  await ap.getByRole('list', { name: 'Your interests' }).getByText('hiking').waitFor();
  await ap.getByRole('checkbox', { name: 'English' }).check();
  await ap.getByRole('checkbox', { name: 'German' }).check();
  await ap.getByRole('button', { name: 'Use my location' }).click();
  await ap.getByText('Found you.').waitFor();
  // Rounded in the browser already: the exact position never leaves the device.
  expect(await ap.getByLabel('Or enter coordinates').inputValue()).toBe('52.52, 13.41');
  await ap.getByRole('button', { name: 'Save and continue' }).click();

  await ap.getByRole('heading', { name: /Who would you like to meet/ }).waitFor();
  await ap.getByRole('checkbox', { name: 'Men', exact: true }).check();
  await ap.getByLabel('From').fill('25');
  await ap.getByLabel('To', { exact: true }).fill('20');
  await ap.getByRole('button', { name: 'Save and continue' }).click();
  await ap.getByText('The oldest age must not be below the youngest.').waitFor();
  await ap.getByLabel('To', { exact: true }).fill('40');
  await ap.getByLabel('Up to').selectOption({ label: '50 km away' });
  await checkPage(ap, 'onboarding-preferences');
  await ap.getByRole('button', { name: 'Save and continue' }).click();

  await ap.getByRole('heading', { name: /A few questions/ }).waitFor();
  await ap.getByRole('heading', { name: 'Do you want children someday?' }).waitFor();
  await checkPage(ap, 'onboarding-questions');
  const q1 = ap.locator('form.question-card');
  await q1.getByRole('group', { name: 'Your answer' }).getByRole('radio', { name: 'Yes' }).check();
  // Saving without an accepted answer is refused with words before anything is sent.
  await q1.getByRole('button', { name: 'Save answer' }).click();
  await ap.getByText('Tick at least one answer you would accept.').waitFor();
  const accepts = q1.getByRole('group', { name: 'Answers you would accept from them' });
  await accepts.getByRole('checkbox', { name: 'Yes' }).check();
  await accepts.getByRole('checkbox', { name: 'Not sure' }).check();
  await q1.getByRole('group', { name: 'How much it matters to you' }).getByRole('radio', { name: 'Very' }).check();
  await q1.getByRole('button', { name: 'Save answer' }).click();
  await ap.getByRole('heading', { name: 'How often do you drink alcohol?' }).waitFor();
  await ap.getByText('1 of 10 answered').waitFor();
  await ap.getByRole('button', { name: 'Done' }).click();
  await ap.waitForURL(/\/discover$/);

  // What the pages sent is what the server keeps.
  const mine = await call<{ profile: { gender: string; interests: string[]; languages: string[]; location: unknown; preferences: unknown } }>(ada, 'GET', '/api/profile');
  expect(mine.body.profile).toMatchObject({
    gender: 'woman',
    interests: ['hiking', 'jazz'],
    languages: ['en', 'de'],
    location: { lat: 52.52, lng: 13.41 },
    preferences: { seeksGenders: ['man'], ageMin: 25, ageMax: 40, maxDistanceKm: 50 },
  });
  const questions = await call<{ questions: { id: number; mine: unknown }[] }>(ada, 'GET', '/api/questions');
  expect(questions.body.questions.find((q) => q.id === 1)?.mine).toEqual({ answer: 0, accepted: [0, 2], importance: 50 });

  // Nobody fits yet (Bo has no profile): the empty state leads back to the profile and preferences.
  await ap.getByRole('heading', { name: 'No one new right now' }).waitFor();
  expect(await ap.getByRole('link', { name: 'Widen your preferences' }).getAttribute('href')).toBe('/onboarding?step=preferences');
  await checkPage(ap, 'discover-empty');

  // --- Bo sets himself up through the API, compatible with Ada.
  expect((await call(bo, 'PUT', '/api/profile', { bio: 'Cook, cyclist, vinyl collector.', gender: 'man', interests: ['jazz', 'cooking', 'cycling'], languages: ['en', 'sv'], location: { lat: 52.53, lng: 13.38 } })).status).toBe(200);
  expect((await call(bo, 'PUT', '/api/profile/preferences', { seeksGenders: ['woman'], ageMin: 25, ageMax: 40, maxDistanceKm: 50 })).status).toBe(200);
  expect((await call(bo, 'PUT', '/api/questions/1/answer', { answer: 2, accepted: [0, 2], importance: 10 })).status).toBe(204);

  await ap.getByRole('button', { name: 'Look again' }).click();
  const boCard = ap.getByRole('article', { name: /Bo Lindqvist/ });
  await boCard.waitFor();
  expect(await boCard.textContent()).toMatch(/100% match/);
  expect(await boCard.textContent()).toMatch(/(Under 5|5–10) km away/);
  await boCard.getByText('cooking').waitFor();
  await checkPage(ap, 'discover-card');
  // Ada likes Bo with the keyboard (→); nothing is mutual yet, so no dialog.
  await ap.keyboard.press('ArrowRight');
  await ap.getByRole('heading', { name: 'No one new right now' }).waitFor();
  expect(await ap.getByRole('dialog').count()).toBe(0);

  // --- Bo, in his browser, looks at Ada's profile, then likes her.
  await bp.goto(`${web.url}/discover`);
  const adaCard = bp.getByRole('article', { name: /Ada/ });
  await adaCard.waitFor();
  await adaCard.getByRole('link', { name: 'View Ada’s profile' }).click();
  await bp.getByRole('heading', { level: 1, name: 'Ada' }).waitFor();
  await bp.getByText('100% match').waitFor();
  await bp.getByText('based on 1 question you both answered').waitFor();
  await bp.getByText('Climber, jazz on vinyl').waitFor();
  // Ada is not a creator: nothing to pay; and she takes messages and calls only from her matches, so a like comes first.
  expect(await bp.getByText(/Messages cost/).count()).toBe(0);
  await bp.getByText('Ada takes messages and calls only from their matches').waitFor();
  expect(await bp.getByRole('button', { name: /Voice call/ }).count()).toBe(0);
  await checkPage(bp, 'public-profile');
  await bp.goBack();
  await adaCard.waitFor();

  await bp.getByRole('button', { name: 'Like' }).click();
  // Bo liked second: his like's answer says matched. Ada is told by the push, on the page she is on.
  const boDialog = bp.getByRole('dialog', { name: 'It’s a match!' });
  const adaDialog = ap.getByRole('dialog', { name: 'It’s a match!' });
  await boDialog.waitFor();
  await boDialog.getByText('You and Ada like each other.').waitFor();
  await adaDialog.waitFor();
  await adaDialog.getByText('You and Bo Lindqvist like each other.').waitFor();
  await checkPage(bp, 'match-dialog');

  // The dialog holds the focus: Tab and Shift+Tab stay inside it.
  expect(await focusInDialog(ap)).toBe(true);
  for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await ap.keyboard.press(key);
    expect(await focusInDialog(ap)).toBe(true);
  }

  await adaDialog.getByRole('button', { name: 'Send a message' }).click();
  await boDialog.getByRole('button', { name: 'Send a message' }).click();
  await ap.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
  await bp.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
  const conversations = await call<{ conversations: { id: string }[] }>(ada, 'GET', '/api/conversations');
  expect(conversations.body.conversations.map((c) => c.id)).toEqual([new URL(ap.url()).pathname.split('/')[2]]);
  expect(new URL(bp.url()).pathname).toBe(new URL(ap.url()).pathname);

  // They chat: typing, the message and its read tick, and the reply, each seen live by the other.
  const say = (page: Page, to: string) => page.getByLabel(`Message to ${to}`);
  const bubble = (page: Page, text: string) => page.getByRole('log').getByRole('listitem').filter({ hasText: text });
  await typeUntilShown(say(ap, 'Bo Lindqvist'), 'Hej Bo! Jazz on vinyl?', bp.getByText('Ada is typing…'));
  await say(ap, 'Bo Lindqvist').press('Enter');
  await bubble(bp, 'Hej Bo! Jazz on vinyl?').waitFor();
  // Bo has the thread open: Ada's message is read, and her tick says so.
  await bubble(ap, 'Hej Bo! Jazz on vinyl?').getByText('Read', { exact: true }).waitFor();
  await typeUntilShown(say(bp, 'Ada'), 'Always. Coltrane or Monk?', ap.getByText('Bo Lindqvist is typing…'));
  await say(bp, 'Ada').press('Enter');
  await bubble(ap, 'Always. Coltrane or Monk?').waitFor();
  await bubble(bp, 'Always. Coltrane or Monk?').getByText('Read', { exact: true }).waitFor();
  await checkPage(ap, 'chat-thread-after-match');

  // --- A creator's profile shows what Ada would pay before she pays anything.
  expect((await call(cleo, 'PATCH', '/api/me', { messagePrice: 5, callPricePerMinute: 12 })).status).toBe(200);
  await ap.goto(`${web.url}/u/${cleo.user.id}`);
  await ap.getByRole('heading', { level: 1, name: 'Cleo' }).waitFor();
  await ap.getByText('Messages cost 5 credits').waitFor();
  await checkPage(ap, 'public-profile-creator');

  // A call button asks the call layer (call-intent) for a call at the price it shows.
  await ap.evaluate(() => {
    const w = globalThis as unknown as { addEventListener(t: string, f: (e: { detail: unknown }) => void): void; calls: unknown[] };
    w.calls = [];
    w.addEventListener('pairly:call', (e) => w.calls.push(e.detail));
  });
  // The call layer then asks to confirm at that price (Ada has no credits: it says so); she cancels.
  for (const [button, title] of [['Video call', 'Video call Cleo?'], ['Voice call', 'Call Cleo?']] as const) {
    await ap.getByRole('button', { name: new RegExp(`${button} 12 credits/min`) }).click();
    const dialog = ap.getByRole('dialog', { name: title });
    await dialog.getByText('This call costs 12 credits per minute.').waitFor();
    await dialog.getByText('That is not enough for one minute.').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }
  expect(await ap.evaluate(() => (globalThis as unknown as { calls: unknown[] }).calls)).toEqual([
    { toUserId: cleo.user.id, displayName: 'Cleo', video: true, pricePerMinute: 12 },
    { toUserId: cleo.user.id, displayName: 'Cleo', video: false, pricePerMinute: 12 },
  ]);

  // Message opens (or reuses) the conversation and goes there.
  await ap.getByRole('button', { name: 'Message' }).click();
  await ap.waitForURL(/\/chats\/[0-9a-f-]{36}$/);
  await ap.goBack();
  await ap.getByRole('heading', { level: 1, name: 'Cleo' }).waitFor();

  // Block asks first; Escape cancels and gives the focus back to the button.
  const blockButton = ap.getByRole('button', { name: 'Block Cleo' });
  await blockButton.click();
  const confirm = ap.getByRole('dialog', { name: 'Block Cleo?' });
  await confirm.waitFor();
  await checkPage(ap, 'public-profile-block');
  await ap.keyboard.press('Escape');
  await confirm.waitFor({ state: 'hidden' });
  expect(await blockButton.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
  await blockButton.click();
  await confirm.getByRole('button', { name: 'Block', exact: true }).click();
  await ap.waitForURL(/\/discover$/);
  await ap.getByText('You blocked Cleo.').waitFor();
  const blocks = await call<{ blocks: { userId: string }[] }>(ada, 'GET', '/api/blocks');
  expect(blocks.body.blocks.map((x) => x.userId)).toEqual([cleo.user.id]);
  await ap.goto(`${web.url}/u/${cleo.user.id}`);
  await ap.getByRole('heading', { name: 'This profile is not available' }).waitFor();

  expect(a.problems).toEqual([]);
  expect(b.problems).toEqual([]);
}, 150_000);

it('pages through more people than one page holds, showing each once, passing with the keyboard', async () => {
  const dee = await signUpApi(web.url, { displayName: 'Dee' });
  // 13 people with no preferences: more than discover's first page (10) holds.
  const names = Array.from({ length: 13 }, (_, i) => `Pager ${String.fromCharCode(65 + i)}`);
  for (const displayName of names) {
    const u = await signUpApi(web.url, { displayName });
    expect((await call(u, 'PUT', '/api/profile', { bio: `I am ${displayName}.` })).status).toBe(200);
  }
  const d = await openPage(browser, web.url);
  // A next page answers late, so the last cards of the page before are passed while it loads: when it lands it
  // must not bring them back (React Query settles it on the pages it began with, which still held them).
  await d.page.route(/\/api\/discover\?.*cursor=/, async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await signIn(d.page, web.url, dee, '/discover');
  const empty = d.page.getByRole('heading', { name: 'No one new right now' });
  const seen: string[] = [];
  for (let i = 0; i <= names.length + 5; i++) {
    await d.page.getByRole('article').or(empty).first().waitFor();
    if (await empty.isVisible()) break;
    const heading = (await d.page.getByRole('article').getByRole('heading', { level: 2 }).textContent()) ?? '';
    const name = heading.replace(/, \d+$/, '');
    seen.push(name);
    // One press, one pass: a key pressed while the previous pass is still in flight is ignored by the page.
    await Promise.all([d.page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/pass')), d.page.keyboard.press('ArrowLeft')]);
    await d.page.getByRole('article', { name: new RegExp(`^${name},`) }).waitFor({ state: 'detached' });
  }
  expect(seen.filter((n) => n.startsWith('Pager ')).sort()).toEqual(names);
  expect(new Set(seen).size).toBe(seen.length);
  // Every pass was recorded: the server has no one left to show Dee either.
  const left = await call<{ candidates: unknown[] }>(dee, 'GET', '/api/discover');
  expect(left.body.candidates).toEqual([]);
  expect(d.problems).toEqual([]);
}, 90_000);
