/** sessionStorage key: when this tab last reloaded itself for a file that did not load. */
export const RELOADED_AT_KEY = 'pairly.chunkReloadAt';
/** Within this long of such a reload, another failure is left to the error screen: no reload loop. */
export const RELOAD_GRACE_MS = 30_000;

interface ReloadTarget {
  addEventListener(type: 'vite:preloadError', listener: (event: Event) => void): void;
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  location: { reload(): void };
}

let reloading = false;

/**
 * A page's files (its script or stylesheet chunk) that fail to load: after a deploy replaced them, or a
 * request that failed on the way. Vite reports it as `vite:preloadError` before the page's import
 * throws; the tab then loads itself again (the new index.html names the files that exist now) instead
 * of showing a broken page. Once per RELOAD_GRACE_MS: a file missing even after the reload reaches the
 * error screen. (Vite's documented handling: https://vite.dev/guide/build#load-error-handling.)
 */
export function reloadOnChunkError(win: ReloadTarget): void {
  win.addEventListener('vite:preloadError', (event) => {
    if (reloading) {
      event.preventDefault(); // the page is going away: nothing of it should fail meanwhile
      return;
    }
    let last = 0;
    try {
      last = Number(win.sessionStorage.getItem(RELOADED_AT_KEY) ?? 0);
      if (Date.now() - last < RELOAD_GRACE_MS) return;
      win.sessionStorage.setItem(RELOADED_AT_KEY, String(Date.now()));
    } catch {
      return; // no storage (a locked-down browser): no way to tell a loop, so no reload
    }
    reloading = true;
    // The import then resolves without a module, and lazyPage (lazy-page.ts) waits for the reload.
    event.preventDefault();
    win.location.reload();
  });
}
