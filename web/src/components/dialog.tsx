import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal <dialog>: the browser keeps focus inside it and closes it on
 * Escape. Its look (`.dialog`, `.dialog-title`, `.dialog-actions`) is one of
 * the shared pieces in styles.css, so every page that opens one looks alike.
 */
export function Dialog({ title, onClose, children, className }: { title: string; onClose: () => void; children: (titleId: string) => ReactNode; className?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} className={className ? `dialog ${className}` : 'dialog'} aria-labelledby={titleId} onClose={onClose}>
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      {children(titleId)}
    </dialog>
  );
}
