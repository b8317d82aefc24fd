import { randomBytes } from 'node:crypto';

/**
 * Stripe's wire conventions, shared by the parts of the LOCAL STAND-IN for
 * the Stripe API (stripe-standin.ts, stripe-standin-checkout.ts): form-encoded
 * parameters, its error shapes, its ids and its list pagination.
 */

export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; message: string; code?: string; param?: string },
  ) {
    super(body.message);
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}
export const newId = (prefix: string): string => `${prefix}_${randomToken(24)}`;
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** `a[b][c]=v` pairs (Stripe's form encoding) back into nested objects. */
export function parseStripeForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const segments = m ? [m[1]!, ...[...(m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? '')] : [key];
    let node = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const seg = segments[i]!;
      const next = node[seg];
      if (typeof next === 'object') node = next;
      else {
        const child: FormObject = {};
        node[seg] = child;
        node = child;
      }
    }
    node[segments[segments.length - 1]!] = value;
  }
  return root;
}

export function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k]!)}`).join(',')}}`;
}

export function invalid(message: string, param?: string, code = 'parameter_invalid'): StripeHttpError {
  return new StripeHttpError(400, { type: 'invalid_request_error', message, code, ...(param ? { param } : {}) });
}

export function parseInteger(value: FormValue | undefined, param: string, required: boolean): number | undefined {
  if (value === undefined) {
    if (required) throw invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
    return undefined;
  }
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw invalid(`Invalid integer: ${typeof value === 'string' ? value : 'object'}`, param, 'parameter_invalid_integer');
  }
  return Number(value);
}

export function parseMetadata(value: FormValue | undefined): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (typeof value === 'string') throw invalid('Invalid object', 'metadata');
  const out: Record<string, string> = {};
  const keys = Object.keys(value);
  if (keys.length > 50) throw invalid('You can specify up to 50 keys in metadata.', 'metadata');
  for (const k of keys) {
    const v = value[k]!;
    if (typeof v !== 'string') throw invalid(`Invalid value for metadata[${k}]: nested objects are not allowed`, `metadata[${k}]`);
    if (k.length > 40) throw invalid('Metadata keys can be up to 40 characters long.', `metadata[${k}]`);
    if (v.length > 500) throw invalid('Metadata values can be up to 500 characters long.', `metadata[${k}]`);
    if (v !== '') out[k] = v;
  }
  return out;
}

/** One of Stripe's list pages over `all` (newest first): `limit`, `created` filters, `starting_after` / `ending_before` cursors. */
export function paginate<T extends { id: string; created: number }>(all: T[], query: FormObject, url: string, objectName: string): { object: 'list'; data: T[]; has_more: boolean; url: string } {
  const limit = parseInteger(query.limit, 'limit', false) ?? 10;
  if (limit < 1 || limit > 100) throw invalid('This value must be between 1 and 100.', 'limit');
  const created = query.created;
  if (created !== undefined) {
    if (typeof created === 'string') {
      const exact = parseInteger(created, 'created', true)!;
      all = all.filter((o) => o.created === exact);
    } else {
      for (const op of Object.keys(created)) {
        const bound = parseInteger(created[op], `created[${op}]`, true)!;
        const test: Record<string, (c: number) => boolean> = {
          gt: (c) => c > bound,
          gte: (c) => c >= bound,
          lt: (c) => c < bound,
          lte: (c) => c <= bound,
        };
        const f = test[op];
        if (!f) throw invalid(`Received unknown parameter: created[${op}]`, `created[${op}]`, 'parameter_unknown');
        all = all.filter((o) => f(o.created));
      }
    }
  }
  const cursorIndex = (param: 'starting_after' | 'ending_before'): number | undefined => {
    const v = query[param];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalid(`Invalid ${param}`, param);
    const i = all.findIndex((o) => o.id === v);
    if (i < 0) throw invalid(`No such ${objectName}: '${v}'`, param, 'resource_missing');
    return i;
  };
  const after = cursorIndex('starting_after');
  const before = cursorIndex('ending_before');
  let page: T[];
  let hasMore: boolean;
  if (after !== undefined) {
    page = all.slice(after + 1, after + 1 + limit);
    hasMore = after + 1 + limit < all.length;
  } else if (before !== undefined) {
    const start = Math.max(0, before - limit);
    page = all.slice(start, before);
    hasMore = start > 0;
  } else {
    page = all.slice(0, limit);
    hasMore = limit < all.length;
  }
  return { object: 'list', data: page, has_more: hasMore, url };
}

/** A 404 as Stripe words it for an id it does not know. */
export function notFound(objectName: string, param: string, id: string): StripeHttpError {
  return new StripeHttpError(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${objectName}: '${id}'` });
}
