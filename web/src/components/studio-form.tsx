import { useId, useState, type ReactNode } from 'react';

/**
 * The pieces every studio form shares (page, tiers, trial links, composer):
 * a titled card, a labelled control with its hint, and one way to run a
 * request with its busy flag and error, so each form keeps only its fields
 * and its request.
 */

/** A card section titled by its own heading (the landmark's name). */
export function StudioCard({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A label above any control (input, select, textarea), wired by id, with an optional hint read with it. */
export function LabeledField({ label, hint, children }: { label: string; hint?: ReactNode; children: (control: { id: string; 'aria-describedby'?: string }) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(hint ? { 'aria-describedby': `${id}-hint` } : {}) })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** Runs one request at a time: `busy` while it runs, its error kept for <FormError>; resolves true when it succeeded. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (request: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await request();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
