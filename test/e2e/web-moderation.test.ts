import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { MediaView } from '../../shared/media.js';
import { callAs, checkPage, chooseFiles, launchBrowser, openPage, signIn, signUpApi, startWebNode, type WebNode } from '../support/web.js';
import { ROOT, tempDir } from '../support/pairly.js';

/**
 * Moderation in a real browser (issue #18): a dating-profile photo with nudity
 * is refused in settings with the reason shown, and a clean one is taken. The
 * pictures are the committed fixtures (test/fixtures/moderation, generated on
 * this machine: see generate.ts), through real processing and the real
 * classifier on a node with the embedded storage driver and its job workers.
 */
let web: WebNode;
let browser: Browser;
const data = tempDir('web-moderation');
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/moderation', name));

beforeAll(async () => {
  web = await startWebNode({ MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: data.path, RUN_WORKERS: 'true', MEDIA_UPLOADS_PER_HOUR: '100' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  data.remove();
});

it('a profile photo with nudity is refused with the reason shown; a clean one is taken and saved', async () => {
  const ada = await signUpApi(web.url, { displayName: 'Ada' });
  const a = await openPage(browser, web.url);
  await signIn(a.page, web.url, ada, '/settings');
  const card = a.page.getByRole('region', { name: 'Photos' });
  await card.getByText('No photos yet').waitFor();

  await chooseFiles(a.page, card.getByRole('button', { name: 'Add photos' }), [{ name: 'nude.jpg', mimeType: 'image/jpeg', buffer: fixture('nude.jpg') }]);
  const refused = card.getByRole('listitem').filter({ hasText: 'Photo 1' });
  await refused.getByText('Not accepted: Nudity is not allowed in profile photos. Choose another photo.').waitFor({ timeout: 60_000 });
  await checkPage(a.page, 'settings-photo-nudity-refused');

  await chooseFiles(a.page, card.getByRole('button', { name: 'Add photos' }), [{ name: 'sky.jpg', mimeType: 'image/jpeg', buffer: fixture('clean.jpg') }]);
  await card.getByRole('listitem').filter({ hasText: 'Ready' }).first().waitFor({ timeout: 60_000 });
  await card.getByRole('button', { name: 'Save photos' }).click();
  await card.getByText('Photos saved.').waitFor();
  const saved = await callAs<{ profile: { photos: MediaView[] } }>(web.url, ada, 'GET', '/api/profile');
  expect(saved.profile.photos.map((p) => p.state)).toEqual(['ready']);
});
