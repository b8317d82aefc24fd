import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../lib/form.js';

/**
 * One submit for a form checked by a shared schema: the schema judges the
 * form before anything is sent (problems beside their fields), then `send`
 * runs and `done` gets its answer, or its refusal is kept for the form to show.
 */
export function useSchemaForm<S extends z.ZodType, R>(schema: S, form: unknown, send: (data: z.output<S>) => Promise<R>, done: (result: R) => void) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const checked = fieldErrorsOf(schema, form);
    setErrors(checked.errors);
    if (!checked.data) return;
    setBusy(true);
    try {
      done(await send(checked.data));
    } catch (err) {
      setErrors(fieldErrorsOfApi(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { submit, errors, error, busy };
}
