import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the native <dialog> element: the page behind is inert,
 * focus moves into the dialog (to the element marked `data-autofocus`, else
 * the first control) and goes back where it was when the dialog closes.
 * Escape calls `onEscape`; without one, Escape does nothing (a ringing call is
 * not declined, nor an active one hung up, by a stray key).
 */
export function CallDialog({
  title,
  children,
  onEscape,
  className,
  describedBy,
}: {
  title: ReactNode;
  children: ReactNode;
  onEscape?: () => void;
  className?: string;
  /** The id of the element that describes the dialog (the price, the reason). */
  describedBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const escape = useRef(onEscape);
  escape.current = onEscape;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (previous?.isConnected) previous.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`call-dialog${className ? ` ${className}` : ''}`}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        escape.current?.();
      }}
    >
      <h2 id={titleId} className="call-dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}
