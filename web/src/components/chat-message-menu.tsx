import { useEffect, useRef, useState, type ReactNode } from 'react';
import { REACTIONS, type MessageView, type Reaction } from '../../../shared/chat.js';
import { messagePreview } from '../lib/chat-format.js';

export interface MessageActions {
  onReact: (m: MessageView, emoji: Reaction) => void;
  onReply: (m: MessageView) => void;
  onEdit: (m: MessageView) => void;
  onDelete: (m: MessageView) => void;
}

/**
 * The actions of one message: a "⋯" button that shows on hover or focus (always on touch screens), or a long
 * press / right click on the message, opens a small menu: the reactions, reply, edit (mine) and delete.
 * Keyboard: the button is in the tab order, Escape closes the menu and gives focus back.
 */
export function useMessageMenu() {
  const [open, setOpen] = useState<string | null>(null);
  const press = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const bind = (id: string) => ({
    onContextMenu: (e: { preventDefault(): void }) => {
      e.preventDefault();
      setOpen(id);
    },
    onPointerDown: (e: { pointerType: string }) => {
      if (e.pointerType !== 'touch') return;
      clearTimeout(press.current);
      press.current = setTimeout(() => setOpen(id), 500);
    },
    onPointerUp: () => clearTimeout(press.current),
    onPointerMove: () => clearTimeout(press.current),
  });
  return { open, setOpen, bind };
}

export function MessageMenu({ m, mine, isOpen, setOpen, actions, children }: { m: MessageView; mine: boolean; isOpen: boolean; setOpen: (id: string | null) => void; actions: MessageActions; children?: ReactNode }) {
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (isOpen) menu.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [isOpen]);
  const close = () => {
    setOpen(null);
    button.current?.focus();
  };
  const act = (fn: () => void) => () => {
    setOpen(null);
    fn();
  };
  return (
    <div className="chat-tools">
      <button
        ref={button}
        type="button"
        className="chat-more"
        aria-haspopup="menu"
        aria-expanded={isOpen}
        onClick={() => setOpen(isOpen ? null : m.id)}
        title="Message actions"
      >
        <span aria-hidden="true">⋯</span>
        <span className="visually-hidden">Actions for message: {m.deleted ? 'deleted message' : messagePreview(m).slice(0, 40)}</span>
      </button>
      {children}
      {isOpen && (
        <div
          ref={menu}
          role="menu"
          className={`chat-menu ${mine ? 'mine' : 'theirs'}`}
          aria-label="Message actions"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
          }}
        >
          {!m.deleted && (
            <div className="chat-menu-reactions" role="group" aria-label="React">
              {REACTIONS.map((emoji) => (
                <button key={emoji} type="button" role="menuitem" className="chat-menu-emoji" aria-label={`React ${emoji}`} onClick={act(() => actions.onReact(m, emoji))}>
                  {emoji}
                </button>
              ))}
            </div>
          )}
          {!m.deleted && (
            <button type="button" role="menuitem" onClick={act(() => actions.onReply(m))}>
              Reply
            </button>
          )}
          {mine && !m.deleted && m.body && (
            <button type="button" role="menuitem" onClick={act(() => actions.onEdit(m))}>
              Edit
            </button>
          )}
          <button type="button" role="menuitem" onClick={act(() => actions.onDelete(m))}>
            Delete…
          </button>
          <button type="button" role="menuitem" className="chat-menu-close" onClick={close}>
            Close
          </button>
        </div>
      )}
    </div>
  );
}
