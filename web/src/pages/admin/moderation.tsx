import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { VerdictView } from '../../../../shared/moderation.js';
import { Media } from '../../components/media.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { dateTime } from '../../lib/admin-format.js';
import { api } from '../../lib/api.js';
import { errorText } from '../../lib/error-text.js';
import { placeText, reasonsText, scoresText } from '../../lib/moderation-format.js';
import { NoticeLine, type Notice } from './notice-line.js';

const queueKey = ['admin', 'moderation', 'queue'] as const;

/** /admin/moderation: what the moderate step quarantined, oldest first, with the classifier's scores; allow or remove each. */
export function ModerationQueue() {
  const qc = useQueryClient();
  const [notice, setNotice] = useState<Notice | null>(null);
  const list = useQuery({ queryKey: queueKey, queryFn: () => api<{ items: VerdictView[] }>('/api/admin/moderation/queue?limit=50') });
  const decide = useMutation({
    mutationFn: (d: { v: VerdictView; decision: 'allow' | 'remove' }) =>
      api<{ verdict: VerdictView }>(`/api/admin/moderation/${d.v.id}/decision`, { method: 'POST', body: { decision: d.decision } }),
    onSuccess: (_r, d) => {
      setNotice({ ok: true, text: `${placeText(d.v.place)} of ${d.v.userName ?? 'a deleted user'}: ${d.decision === 'allow' ? 'allowed' : 'removed'}.` });
      void qc.invalidateQueries({ queryKey: queueKey });
    },
    onError: (err, d) => setNotice({ ok: false, text: `${placeText(d.v.place)} of ${d.v.userName ?? 'a deleted user'}: ${errorText(err)}` }),
  });
  const rows = list.data?.items ?? [];

  return (
    <section className="page admin-page">
      <PageTitle>Moderation</PageTitle>
      <p className="hint lead-hint">Items held for review: only their owner sees them until you decide. Allow shows them to everyone; remove withdraws them.</p>
      <section className="admin-section" aria-labelledby="moderation-title">
        <h2 id="moderation-title">Waiting for a decision</h2>
        <NoticeLine notice={notice} />
        {list.isPending ? (
          <Loading label="Loading the moderation queue" />
        ) : list.error ? (
          <ErrorNote error={list.error} retry={() => void list.refetch()} />
        ) : rows.length === 0 ? (
          <Empty title="Nothing is waiting for review." />
        ) : (
          <ul className="dl-list">
            {rows.map((v) => {
              const busy = decide.isPending && decide.variables?.v.id === v.id;
              const who = `${placeText(v.place)} of ${v.userName ?? 'a deleted user'}`;
              return (
                <li key={v.id} className="dl-item" aria-label={who}>
                  <div className="dl-main">
                    <p className="dl-title">
                      <strong>{placeText(v.place)}</strong> <span className="muted">by {v.userName ?? 'a deleted user'}</span> <span className="pill pill-pending">{reasonsText(v.reasons)}</span>
                    </p>
                    <p className="hint">
                      Held {dateTime(v.createdAt)} · {scoresText(v.scores) || 'no scores'}
                    </p>
                    {v.subjectKind === 'media' && <Media id={v.subjectId} alt={`The held ${placeText(v.place).toLowerCase()}`} sizes="320px" className="moderation-media" />}
                  </div>
                  <div className="moderation-actions">
                    <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => decide.mutate({ v, decision: 'allow' })} aria-label={`Allow: ${who}`}>
                      Allow
                    </button>
                    <button type="button" className="btn btn-danger" disabled={busy} onClick={() => decide.mutate({ v, decision: 'remove' })} aria-label={`Remove: ${who}`}>
                      Remove
                    </button>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </section>
  );
}
