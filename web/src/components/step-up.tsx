import { createContext, useCallback, useContext, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api.js';
import { Dialog } from './dialog.js';
import { Field, FormError } from './ui.js';

/** Whether an error asks for a step-up (a session that proved its second factor lately). */
export const needsStepUp = (err: unknown) => err instanceof ApiError && err.code === 'STEP_UP_REQUIRED';

/**
 * A step-up (POST /api/auth/2fa/verify): a code from the authenticator app, or a recovery code,
 * proves the second factor on this session again. `onDone` runs once it has.
 */
export function StepUpForm({ onDone, lead }: { onDone: () => void; lead?: ReactNode }) {
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState('');
  const verify = useMutation({
    mutationFn: () => api<void>('/api/auth/2fa/verify', { body: recovery ? { recoveryCode: value.trim() } : { code: value.replace(/\s/g, '') } }),
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate();
  };
  return (
    <form className="form step-up" onSubmit={submit} noValidate>
      {lead ?? <p>Confirm it is you with the code your authenticator app shows now.</p>}
      <Field
        label={recovery ? 'Recovery code' : 'Code from the app'}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        inputMode={recovery ? 'text' : 'numeric'}
        autoComplete="one-time-code"
        required
        data-autofocus
      />
      <FormError error={verify.error} />
      <div className="dialog-actions">
        <button
          type="button"
          className="btn btn-link"
          onClick={() => {
            setRecovery(!recovery);
            setValue('');
          }}
        >
          {recovery ? 'Use a code from the app' : 'Use a recovery code'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={verify.isPending || value.trim() === ''}>
          {verify.isPending ? 'Checking…' : 'Confirm'}
        </button>
      </div>
    </form>
  );
}

const StepUpContext = createContext<(retry: () => void) => void>(() => undefined);

/**
 * One step-up dialog for a page whose actions may answer STEP_UP_REQUIRED: an action's error goes to
 * `useStepUpRetry()`'s function with a retry, the dialog asks for a code, and the action runs again.
 */
export function StepUpProvider({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const retry = useRef<() => void>(() => undefined);
  const ask = useCallback((then: () => void) => {
    retry.current = then;
    setOpen(true);
  }, []);
  return (
    <StepUpContext.Provider value={ask}>
      {children}
      {open && (
        <Dialog title="Confirm it is you" onClose={() => setOpen(false)}>
          {() => (
            <StepUpForm
              onDone={() => {
                setOpen(false);
                retry.current();
              }}
            />
          )}
        </Dialog>
      )}
    </StepUpContext.Provider>
  );
}

/** `(err, retry)`: opens the step-up dialog when `err` asks for one (and retries after); otherwise nothing. */
export function useStepUpRetry(): (err: unknown, retry: () => void) => void {
  const ask = useContext(StepUpContext);
  return useCallback((err, retry) => {
    if (needsStepUp(err)) ask(retry);
  }, [ask]);
}
