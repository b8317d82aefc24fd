import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { BlockView } from '../../../shared/chat.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { formatWhen } from './wallet-queries.js';
import { Empty, ErrorNote, Loading } from './ui.js';

export const blocksKey = ['blocks'] as const;

/** The people the caller blocked (GET /api/blocks), each with Unblock (DELETE /api/blocks/:userId). */
export function SettingsBlocks() {
  const qc = useQueryClient();
  const blocks = useQuery({ queryKey: blocksKey, queryFn: async () => (await api<{ blocks: BlockView[] }>('/api/blocks')).blocks });
  const [done, setDone] = useState<string | null>(null);
  const unblock = useMutation({
    mutationFn: async (b: BlockView) => {
      try {
        await api(`/api/blocks/${b.userId}`, { method: 'DELETE' });
      } catch (err) {
        // Already unblocked (on another device): the outcome the person asked for.
        if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
      }
    },
    onSuccess: (_r, b) => {
      setDone(`You unblocked ${b.displayName}. They can find and message you again.`);
      qc.setQueryData<BlockView[]>(blocksKey, (old) => old?.filter((x) => x.userId !== b.userId));
      // Lists that hide blocked people (discover, chats) show them again.
      void qc.invalidateQueries({ queryKey: blocksKey });
    },
    onError: () => setDone(null),
  });

  return (
    <section className="card settings-card" aria-labelledby="settings-blocks-title">
      <h2 id="settings-blocks-title">Blocked people</h2>
      <p className="hint settings-lead">Someone you block cannot message you, call you, see when you are online or be matched with you, and neither can you with them.</p>
      <p role="status" className="settings-saved">
        {done ?? ''}
      </p>
      {unblock.isError && (
        <p className="form-error" role="alert">
          {errorText(unblock.error)}
        </p>
      )}
      {blocks.isPending ? (
        <Loading label="Loading blocked people" />
      ) : blocks.isError ? (
        <ErrorNote error={blocks.error} retry={() => void blocks.refetch()} />
      ) : blocks.data.length === 0 ? (
        <Empty title="You have not blocked anyone." />
      ) : (
        <ul className="settings-rows" aria-label="Blocked people">
          {blocks.data.map((b) => (
            <li key={b.userId} className="settings-row">
              <div className="settings-row-main">
                <span className="settings-row-title">{b.displayName}</span>
                <span className="hint">
                  Blocked <time dateTime={b.createdAt}>{formatWhen(b.createdAt)}</time>
                </span>
              </div>
              <button
                type="button"
                className="btn btn-secondary"
                onClick={() => unblock.mutate(b)}
                disabled={unblock.isPending && unblock.variables?.userId === b.userId}
                aria-label={`Unblock ${b.displayName}`}
              >
                Unblock
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
