import { useQuery } from '@tanstack/react-query';
import type { AdminReportView, QueueAppeal, QueueEntry, ReportSubject, UserHistory } from '../../../../shared/reports.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui.js';
import { api } from '../../lib/api.js';
import { dateTime, plural } from '../../lib/admin-format.js';
import { ACTION_TEXT, REASON_TEXT } from '../../lib/moderation-text.js';
import { AppealDecision } from './appeal-decision.js';
import { DecisionForm } from './decision-form.js';

/** What remove_content can take down (the server answers VALIDATION_FAILED for the rest). */
const REMOVABLE: ReportSubject[] = ['message', 'post', 'profile'];

/** /admin/reports: reported users, longest waiting first, each with the reports against them (content as reported) and their history; then open appeals. */
export function AdminReports() {
  const q = useQuery({ queryKey: ['admin', 'reports'], queryFn: () => api<{ entries: QueueEntry[]; appeals: QueueAppeal[] }>('/api/admin/reports') });
  return (
    <section className="page admin-page">
      <PageTitle>Reports</PageTitle>
      <p className="hint lead-hint">What users reported, grouped by the person reported. A decision settles their open reports; each reporter is told the outcome.</p>
      {q.isPending ? (
        <Loading label="Loading reports" />
      ) : q.error ? (
        <ErrorNote error={q.error} retry={() => void q.refetch()} />
      ) : (
        <>
          <section className="admin-section" aria-labelledby="queue-title">
            <h2 id="queue-title">Open reports</h2>
            {q.data.entries.length === 0 ? (
              <Empty title="No open reports." />
            ) : (
              <ul className="dl-list">
                {q.data.entries.map((e) => (
                  <li key={e.user.userId} className="dl-item" aria-label={`Reports against ${e.user.displayName}`}>
                    <div className="dl-main">
                      <History user={e.user} />
                      <ul className="report-list">
                        {e.reports.map((r) => (
                          <ReportItem key={r.id} r={r} />
                        ))}
                      </ul>
                      <DecisionForm userId={e.user.userId} name={e.user.displayName} actions={e.user.status === 'deleted' ? ['dismiss'] : ['dismiss', 'warn', 'suspend', 'ban']} />
                      {e.reports
                        .filter((r) => REMOVABLE.includes(r.subject))
                        .map((r) => (
                          <DecisionForm key={r.id} userId={e.user.userId} name={`${e.user.displayName}'s ${r.subject}`} actions={['remove_content']} extra={{ subject: { kind: r.subject, id: r.subjectId }, reportIds: [r.id] }} />
                        ))}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="admin-section" aria-labelledby="appeals-title">
            <h2 id="appeals-title">Appeals</h2>
            {q.data.appeals.length === 0 ? (
              <Empty title="No open appeals." />
            ) : (
              <ul className="dl-list">
                {q.data.appeals.map((a) => (
                  <li key={a.decision.id} className="dl-item" aria-label={`Appeal of ${a.user.displayName}`}>
                    <div className="dl-main">
                      <History user={a.user} />
                      <p>
                        Appeals <strong>{ACTION_TEXT[a.decision.action].toLowerCase()}</strong> ({a.decision.reason}), {dateTime(a.appeal.createdAt)}:
                      </p>
                      <blockquote>{a.appeal.body}</blockquote>
                      <AppealDecision decisionId={a.decision.id} name={a.user.displayName} />
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </section>
  );
}

/** Account age, standing, reports and earlier decisions: what a moderator weighs. */
export function History({ user }: { user: UserHistory }) {
  return (
    <>
      <p className="dl-title">
        <strong>{user.displayName}</strong> <span className="muted">({user.email}, {user.role})</span>
      </p>
      <p className="hint">
        Joined {dateTime(user.createdAt)} · {user.status}
        {user.suspendedUntil && ` until ${dateTime(user.suspendedUntil)}`}
        {user.deletedAt && ` by its owner ${dateTime(user.deletedAt)}`} · reported {plural(user.reportsAgainst, 'time')} ·{' '}
        {user.decisions.length === 0 ? 'no earlier decisions' : user.decisions.map((d) => `${ACTION_TEXT[d.action].toLowerCase()} ${dateTime(d.createdAt)}`).join(', ')}
      </p>
    </>
  );
}

function ReportItem({ r }: { r: AdminReportView }) {
  return (
    <li>
      <p>
        <strong>{REASON_TEXT[r.reason]}</strong> · {r.subject.replace('_', ' ')} · {dateTime(r.createdAt)}
        {r.note && ` · “${r.note}”`}
      </p>
      <ReportedContent content={r.content} />
    </li>
  );
}

/** The content as it was reported: a message's words, a session's transcript, else the snapshot as data. */
function ReportedContent({ content }: { content: unknown }) {
  const c = (content ?? {}) as { body?: string; transcript?: { body?: string }[] };
  if (typeof c.body === 'string') return <blockquote>{c.body}</blockquote>;
  if (Array.isArray(c.transcript)) return <blockquote>{c.transcript.map((m) => m.body ?? '').join(' / ') || 'An empty session'}</blockquote>;
  return (
    <details>
      <summary>What was reported</summary>
      <pre className="report-snapshot">{JSON.stringify(content, null, 2)}</pre>
    </details>
  );
}
