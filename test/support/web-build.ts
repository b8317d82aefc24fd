import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the test run's global set-up builds the web app; test servers get it as WEB_DIR. */
export const WEB_TEST_DIR = join(WEB_ROOT, '.tmp/web-dist');
