import { lazy, type ComponentType } from 'react';

/**
 * React.lazy for a page: an import whose failure the reload (chunk-reload.ts) took over resolves without a module;
 * the page then waits (suspended) for the reload instead of failing to render.
 */
export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>) {
  return lazy(async () => (await load()) ?? new Promise<never>(() => undefined));
}
