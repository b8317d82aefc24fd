import { useRef, useState, type FormEvent } from 'react';
import { useInfiniteQuery, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { MASS_MESSAGE_BODY_MAX, type MassAudience, type MassMessageProgress, type MassMessageView } from '../../../shared/mass-messages.js';
import type { CreatorPageView } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { publishAtOf } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { acceptOf, percentText } from '../lib/media-files.js';
import { putView, useUploadState } from '../lib/media-view.js';
import { AUDIENCE_KINDS, audienceLabel, audienceOf, fansText, priceOf, progressText, statsText, statusText, withProgress, type AudienceKind, type MassPage } from '../lib/mass-messages.js';
import { useSession } from '../lib/session.js';
import { useSocket, useSocketEvent } from '../lib/socket.js';
import type { UploadTask } from '../lib/upload.js';
import { startUpload } from '../lib/upload-browser.js';
import { Media } from '../components/media.js';
import { LabeledField, StudioCard, useAction } from '../components/studio-form.js';
import { ErrorNote, FormError, Loading, PageTitle } from '../components/ui.js';
import './creators.css';
import './mass-messages.css';

const massKeys = {
  list: ['mass-messages', 'list'] as const,
  audience: (a: MassAudience) => ['mass-messages', 'audience', a] as const,
};

/** /mass-messages: a creator writes one message to a part of their audience, watches it go out, and sees how each did. */
export default function MassMessages() {
  const { user } = useSession();
  const page = useQuery({
    queryKey: creatorKeys.mine,
    queryFn: async () => (await api<{ creator: CreatorPageView }>('/api/creator/page').catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return { creator: null };
      throw e;
    })).creator,
    enabled: user?.role === 'creator',
  });
  const qc = useQueryClient();
  // Each batch's push moves its progress bar (laid over the list as it renders: withProgress); one not
  // listed yet (sent from another device) brings the list back, and so does the end of a send (its final stats).
  const [progress, setProgress] = useState<ReadonlyMap<string, MassMessageProgress>>(new Map());
  useSocketEvent('mass-message:progress', (p) => {
    setProgress((m) => new Map(m).set(p.id, p));
    const listed = qc.getQueryData<InfiniteData<MassPage>>(massKeys.list)?.pages.some((pg) => pg.massMessages.some((m) => m.id === p.id));
    if (!listed || p.status === 'done' || p.status === 'cancelled') void qc.invalidateQueries({ queryKey: massKeys.list });
  });
  // An unlock moved credits to the creator: the stats' unlocks and earnings are worth reading again.
  useSocketEvent('wallet:updated', () => void qc.invalidateQueries({ queryKey: massKeys.list }));
  if (user?.role !== 'creator')
    return (
      <section className="page narrow">
        <PageTitle>Mass messages</PageTitle>
        <p>Mass messages are for creator accounts.</p>
      </section>
    );
  if (page.isPending) return <Loading label="Loading" />;
  if (page.isError) return <ErrorNote error={page.error} retry={() => void page.refetch()} />;
  const tiers = (page.data?.tiers ?? []).filter((t) => !t.archived);
  const tierName = (rank: number) => tiers.find((t) => t.rank === rank)?.name;
  return (
    <section className="page studio mass">
      <PageTitle>Mass messages</PageTitle>
      <p className="hint">One message to many fans at once. Each fan gets it in their chat with you; people who blocked you (or whom you blocked) never do.</p>
      <Composer tiers={tiers} />
      <PastMessages tierName={tierName} progress={progress} />
    </section>
  );
}

function Composer({ tiers }: { tiers: { rank: number; name: string }[] }) {
  const qc = useQueryClient();
  const { socket } = useSocket();
  const file = useRef<HTMLInputElement>(null);
  const clientId = useRef(crypto.randomUUID());
  const [kind, setKind] = useState<AudienceKind>('subscribers');
  const [rank, setRank] = useState(tiers[0]?.rank ?? 1);
  const [body, setBody] = useState('');
  const [task, setTask] = useState<UploadTask | null>(null);
  const [price, setPrice] = useState('');
  const [sendAt, setSendAt] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const action = useAction();
  const upload = useUploadState(task);
  const audience = audienceOf(kind, rank);
  const size = useQuery({
    queryKey: massKeys.audience(audience),
    queryFn: async () => (await api<{ count: number }>('/api/mass-messages/audience', { body: { audience } })).count,
  });
  const mediaId = upload?.phase === 'ready' ? upload.media.id : null;
  const uploading = task !== null && upload?.phase !== 'ready';

  const pick = (files: FileList | null) => {
    const f = files?.[0];
    if (!f) return;
    task?.cancel();
    setTask(startUpload(f, 'message_attachment', { events: socket, onView: (m) => putView(qc, m) }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSent(null);
    const p = priceOf(price, mediaId !== null);
    if ('error' in p) return setProblem(p.error);
    if (!body.trim() && !mediaId) return setProblem('Write something or add a photo or video.');
    const when = publishAtOf(sendAt, Date.now());
    if (when === 'past') return setProblem('Choose a sending time in the future, or leave it empty to send now.');
    if (size.data === 0) return setProblem('Nobody is in this audience yet.');
    setProblem(null);
    const ok = await action.run(() =>
      api<{ massMessage: MassMessageView }>('/api/mass-messages', {
        body: { clientId: clientId.current, audience, body, price: p.price, ...(mediaId ? { mediaId } : {}), ...(when ? { sendAt: when } : {}) },
      }),
    );
    if (!ok) return;
    clientId.current = crypto.randomUUID();
    setBody('');
    setTask(null);
    setPrice('');
    setSendAt('');
    setSent(when ? 'Scheduled.' : 'Sending: follow it below.');
    void qc.invalidateQueries({ queryKey: massKeys.list });
  };

  return (
    <StudioCard title="New mass message">
      <form className="form" aria-label="New mass message" onSubmit={(e) => void submit(e)}>
        <LabeledField label="Send to">
          {(c) => (
            <select {...c} value={kind} onChange={(e) => setKind(e.target.value as AudienceKind)}>
              {AUDIENCE_KINDS.filter((k) => k.kind !== 'tier' || tiers.length > 0).map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </LabeledField>
        {kind === 'tier' && (
          <LabeledField label="Lowest tier">
            {(c) => (
              <select {...c} value={rank} onChange={(e) => setRank(Number(e.target.value))}>
                {tiers.map((t) => (
                  <option key={t.rank} value={t.rank}>
                    {t.name} (tier {t.rank}) and up
                  </option>
                ))}
              </select>
            )}
          </LabeledField>
        )}
        <p className="mass-size" role="status" aria-live="polite" data-testid="audience-size">
          {size.isPending ? 'Counting your audience…' : size.isError ? 'Could not count this audience.' : `Reaches ${fansText(size.data)}`}
        </p>
        <LabeledField label="Message">{(c) => <textarea {...c} value={body} maxLength={MASS_MESSAGE_BODY_MAX} rows={4} onChange={(e) => setBody(e.target.value)} />}</LabeledField>
        <input ref={file} type="file" accept={acceptOf('message_attachment')} hidden data-testid="mass-media-input" onChange={(e) => (pick(e.target.files), (e.target.value = ''))} />
        <div className="mass-media">
          <button type="button" className="btn btn-secondary" onClick={() => file.current?.click()}>
            {task ? 'Replace photo or video' : 'Add a photo or video'}
          </button>
          {task && (
            <>
              {upload?.phase === 'ready' && <Media media={upload.media} alt="Attached photo or video" sizes="120px" />}
              {upload?.phase === 'sending' && <progress max={upload.total} value={upload.loaded} aria-label="Uploading the attachment" />}
              <span className="hint" role="status">
                {upload?.phase === 'sending'
                  ? `Uploading… ${percentText(upload.loaded, upload.total)}`
                  : upload?.phase === 'ready'
                    ? 'Ready'
                    : upload?.phase === 'rejected' || upload?.phase === 'failed'
                      ? upload.message
                      : 'Processing…'}
              </span>
              <button type="button" className="btn btn-link" onClick={() => (task.cancel(), setTask(null), setPrice(''))}>
                Remove<span className="visually-hidden"> the attachment</span>
              </button>
            </>
          )}
        </div>
        {mediaId && (
          <LabeledField label="Price to unlock (credits)" hint="Empty or 0: free. Each fan sees this price and pays it once to unlock the photo or video.">
            {(c) => <input {...c} type="number" min={0} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} />}
          </LabeledField>
        )}
        <LabeledField label="Send at (optional)">{(c) => <input {...c} type="datetime-local" value={sendAt} onChange={(e) => setSendAt(e.target.value)} />}</LabeledField>
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <FormError error={action.error} />
        {sent && <p role="status">{sent}</p>}
        <button type="submit" className="btn btn-primary" disabled={action.busy || uploading}>
          {uploading ? 'Waiting for the upload…' : action.busy ? 'Sending…' : `${sendAt ? 'Schedule for' : 'Send to'} ${size.data !== undefined ? fansText(size.data) : 'your audience'}`}
        </button>
      </form>
    </StudioCard>
  );
}

function PastMessages({ tierName, progress }: { tierName: (rank: number) => string | undefined; progress: ReadonlyMap<string, MassMessageProgress> }) {
  const list = useInfiniteQuery({
    queryKey: massKeys.list,
    queryFn: async ({ pageParam, signal }) => api<MassPage>(`/api/mass-messages?limit=20${pageParam ? `&before=${encodeURIComponent(pageParam)}` : ''}`, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextBefore ?? undefined,
  });
  const rows = (list.data?.pages.flatMap((p) => p.massMessages) ?? []).map((m) => withProgress(m, progress.get(m.id)));
  return (
    <StudioCard title="Sent mass messages">
      {list.isPending ? (
        <p className="hint" role="status">
          Loading…
        </p>
      ) : list.isError && rows.length === 0 ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <p className="hint">No mass messages yet.</p>
      ) : (
        <ul className="mass-list" aria-label="Sent mass messages">
          {rows.map((m) => (
            <PastRow key={m.id} m={m} tierName={tierName} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn btn-secondary more" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </StudioCard>
  );
}

function PastRow({ m, tierName }: { m: MassMessageView; tierName: (rank: number) => string | undefined }) {
  const qc = useQueryClient();
  const cancel = useAction();
  const open = m.status === 'scheduled' || m.status === 'sending';
  const label = m.body.trim() ? m.body.slice(0, 80) : 'Photo or video';
  return (
    <li className="mass-row" aria-label={`Mass message: ${label}`}>
      <p className="mass-body">{m.body.trim() ? m.body : <em>Photo or video only</em>}</p>
      <p className="hint">
        {audienceLabel(m.audience, tierName)}
        {m.excludeCount > 0 && ` (minus ${m.excludeCount})`}
        {m.mediaId && (m.price > 0 ? ` · photo or video at ${m.price} credits` : ' · free photo or video')} · {new Date(m.createdAt).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' })}
      </p>
      <p className="mass-status">
        <strong>{statusText(m, Date.now())}</strong>
        {m.status !== 'scheduled' && <> · {statsText(m)}</>}
      </p>
      {m.status === 'sending' && (
        <div className="mass-progress">
          <progress max={Math.max(m.total, m.stats.sent, 1)} value={m.stats.sent} aria-label="Sending progress" />
          <span role="status" aria-live="polite">
            {progressText(m.stats.sent, m.total)}
          </span>
        </div>
      )}
      {open && (
        <button
          type="button"
          className="btn btn-secondary"
          disabled={cancel.busy}
          onClick={() =>
            void cancel.run(async () => {
              await api(`/api/mass-messages/${m.id}/cancel`, { method: 'POST' });
              await qc.invalidateQueries({ queryKey: massKeys.list });
            })
          }
        >
          {cancel.busy ? 'Cancelling…' : 'Cancel'}
          <span className="visually-hidden"> this mass message</span>
        </button>
      )}
      <FormError error={cancel.error} />
    </li>
  );
}
