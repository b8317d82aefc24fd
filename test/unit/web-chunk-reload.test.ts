import { beforeEach, expect, it, vi } from 'vitest';

// The web app's answer to a page file that does not load (web/src/lib/chunk-reload.ts): Vite's
// `vite:preloadError` makes the tab load itself again, once per grace period, never in a loop.

type Module = typeof import('../../web/src/lib/chunk-reload.js');

/** A tab: its events, its session storage (kept across "reloads", as a browser keeps it) and reload(). */
function tab(storage: Map<string, string>, opts: { storageThrows?: boolean } = {}) {
  const events = new EventTarget();
  const reload = vi.fn();
  const sessionStorage = {
    getItem: (k: string) => {
      if (opts.storageThrows) throw new Error('SecurityError');
      return storage.get(k) ?? null;
    },
    setItem: (k: string, v: string) => {
      if (opts.storageThrows) throw new Error('SecurityError');
      storage.set(k, v);
    },
  };
  return { win: { addEventListener: events.addEventListener.bind(events), sessionStorage, location: { reload } }, events, reload };
}

/** The module as a freshly loaded page has it (its "reloading" flag starts false). */
async function freshPage(): Promise<Module> {
  vi.resetModules();
  return import('../../web/src/lib/chunk-reload.js');
}

const fail = (events: EventTarget) => {
  const e = new Event('vite:preloadError', { cancelable: true });
  events.dispatchEvent(e);
  return e;
};

beforeEach(() => vi.useRealTimers());

it('a file that fails to load reloads the page once, and the failure is not thrown', async () => {
  const m = await freshPage();
  const storage = new Map<string, string>();
  const t = tab(storage);
  m.reloadOnChunkError(t.win);
  const first = fail(t.events);
  expect(first.defaultPrevented).toBe(true);
  expect(t.reload).toHaveBeenCalledTimes(1);
  expect(Number(storage.get(m.RELOADED_AT_KEY))).toBeGreaterThan(0);
  // Another file of the same page failing while the reload is under way: swallowed, no second reload.
  expect(fail(t.events).defaultPrevented).toBe(true);
  expect(t.reload).toHaveBeenCalledTimes(1);
});

it('a failure again soon after such a reload reaches the error screen: no reload loop; later, it reloads again', async () => {
  vi.useFakeTimers({ now: 1_000_000 });
  const storage = new Map<string, string>();
  const before = await freshPage();
  const t1 = tab(storage);
  before.reloadOnChunkError(t1.win);
  fail(t1.events);
  expect(t1.reload).toHaveBeenCalledTimes(1);

  // The reloaded page (a new module instance, the same session storage) fails again at once.
  vi.setSystemTime(1_000_000 + 5_000);
  const after = await freshPage();
  const t2 = tab(storage);
  after.reloadOnChunkError(t2.win);
  expect(fail(t2.events).defaultPrevented).toBe(false);
  expect(t2.reload).not.toHaveBeenCalled();

  // Past the grace period (a later deploy): a failure reloads again.
  vi.setSystemTime(1_000_000 + after.RELOAD_GRACE_MS + 1);
  const later = await freshPage();
  const t3 = tab(storage);
  later.reloadOnChunkError(t3.win);
  expect(fail(t3.events).defaultPrevented).toBe(true);
  expect(t3.reload).toHaveBeenCalledTimes(1);
});

it('without session storage (a locked-down browser) nothing reloads: a loop could not be told apart', async () => {
  const m = await freshPage();
  const t = tab(new Map(), { storageThrows: true });
  m.reloadOnChunkError(t.win);
  expect(fail(t.events).defaultPrevented).toBe(false);
  expect(t.reload).not.toHaveBeenCalled();
});
