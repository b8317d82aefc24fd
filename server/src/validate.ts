import type { z } from 'zod';
import { validationError } from './errors.js';

/** Parses input with a schema from shared/; failure is VALIDATION_FAILED with the field problems. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const res = schema.safeParse(value);
  if (!res.success) throw validationError(res.error.issues);
  return res.data;
}
