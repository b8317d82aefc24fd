import type { Express } from 'express';

/** The routes an Express app has mounted, and the ones README.md documents, to hold them to each other. */

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** `METHOD /full/path` of every route the app has mounted, found by walking Express's router. */
export function mountedRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path === '/' && prefix ? prefix : prefix + layer.route.path;
        for (const m of Object.keys(layer.route.methods)) found.push(`${m.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
  return found;
}

/** A REST row of README.md's tables: the methods and paths its first cell names (`:param` names dropped). */
export interface DocumentedRow {
  line: string;
  methods: string[];
  paths: string[];
}

/** `:id` and `:userId` are the same path to a client. */
export const normalizePath = (path: string) => path.replace(/:\w+/g, ':');

export function documentedRows(readme: string): DocumentedRow[] {
  return readme
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cell = line.split(/(?<!\\)\|/)[1] ?? '';
      return {
        line,
        methods: cell.match(/\b(GET|POST|PUT|PATCH|DELETE)\b/g) ?? [],
        paths: (cell.match(/(?<!\w)\/[\w/:.-]*/g) ?? []).map(normalizePath),
      };
    })
    .filter((row) => row.methods.length > 0);
}
