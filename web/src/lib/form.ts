import type { z } from 'zod';
import { ApiError } from './api.js';

export type FieldErrors = Record<string, string>;

/** Field problems from a shared zod schema (the same one the server validates with), keyed by top-level field. */
export function fieldErrorsOf<S extends z.ZodType>(schema: S, value: unknown): { data?: z.output<S>; errors: FieldErrors } {
  const r = schema.safeParse(value);
  if (r.success) return { data: r.data, errors: {} };
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const key = String(issue.path[0] ?? '_');
    errors[key] ??= issue.message;
  }
  return { errors };
}

/** The field problems a VALIDATION_FAILED answer carries (`details: [{path, message}]`). */
export function fieldErrorsOfApi(err: unknown): FieldErrors {
  if (!(err instanceof ApiError) || err.code !== 'VALIDATION_FAILED' || !Array.isArray(err.details)) return {};
  const errors: FieldErrors = {};
  for (const d of err.details as { path?: string; message?: string }[]) {
    const key = (d.path ?? '_').split('.')[0] || '_';
    errors[key] ??= d.message ?? 'not valid';
  }
  return errors;
}
