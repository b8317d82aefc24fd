import { useId, type ReactNode, type InputHTMLAttributes } from 'react';
import { errorText } from '../lib/error-text.js';

/** The loading state: announced to screen readers, shown after a short delay-free spinner. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

/** An error in plain words (errorText), with a retry when one makes sense. */
export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  return (
    <div className="state state-error" role="alert">
      <p>{errorText(error)}</p>
      {retry && (
        <button type="button" className="btn btn-secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A labelled input with an optional hint and error (wired with aria-describedby). */
export function Field({ label, hint, error, ...input }: { label: string; hint?: string; error?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy = [hint ? hintId : '', error ? errId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={errId} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** Credits, always with the unit, e.g. "25 credits". */
export function Credits({ amount }: { amount: number }) {
  return (
    <span className="credits">
      {amount.toLocaleString()} credit{amount === 1 ? '' : 's'}
    </span>
  );
}

export function PageTitle({ children }: { children: ReactNode }) {
  return <h1 className="page-title">{children}</h1>;
}

/** A failed action's error under its form (errorText, or the caller's sentence for a code it expects); nothing when there is none. */
export function FormError({ error, text }: { error: unknown; text?: (error: unknown) => ReactNode | null }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="form-error" role="alert">
      {text?.(error) ?? errorText(error)}
    </p>
  );
}
