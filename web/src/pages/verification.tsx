import { useId, useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { COUNTRY_CODES, type VerificationState } from '../../../shared/verification.js';
import { api, ApiError } from '../lib/api.js';
import { acceptOf, percentText } from '../lib/media-files.js';
import { putView, useUploadState } from '../lib/media-view.js';
import { useSession } from '../lib/session.js';
import { useSocket, useSocketEvent } from '../lib/socket.js';
import { startUpload } from '../lib/upload-browser.js';
import type { UploadTask } from '../lib/upload.js';
import { Media } from '../components/media.js';
import { StudioCard, useAction } from '../components/studio-form.js';
import { ErrorNote, FormError, Loading, PageTitle } from '../components/ui.js';
import './verification.css';

const verificationKey = ['verification'] as const;

/** /verification: a creator's identity and age check: its status, and the form (again after a rejection, with the reason). */
export default function Verification() {
  const { user } = useSession();
  const qc = useQueryClient();
  const state = useQuery({
    queryKey: verificationKey,
    queryFn: async () => (await api<{ verification: VerificationState }>('/api/verification')).verification,
    enabled: user?.role === 'creator',
  });
  // An admin's decision arrives live.
  useSocketEvent('verification:updated', ({ verification }) => qc.setQueryData(verificationKey, verification));

  if (user?.role !== 'creator')
    return (
      <section className="page narrow">
        <PageTitle>Verification</PageTitle>
        <p>Verification is for creator accounts.</p>
      </section>
    );
  if (state.isPending) return <Loading label="Loading your verification" />;
  if (state.isError) return <ErrorNote error={state.error} retry={() => void state.refetch()} />;
  const { verified, submission } = state.data;
  return (
    <section className="page narrow verification">
      <PageTitle>Verification</PageTitle>
      <p className="hint">
        Creators confirm who they are and that they are 18 or older before they are paid. Your documents are seen only by you and Pairly's
        reviewers. Back to the <Link to="/studio">studio</Link>.
      </p>
      <div aria-live="polite">
        {verified ? (
          <p className="verification-status verification-ok" role="status">
            You are verified.
          </p>
        ) : submission?.status === 'pending' ? (
          <p className="verification-status verification-wait" role="status">
            Submitted {new Date(submission.submittedAt).toLocaleString()}: waiting for review. You will see the answer here.
          </p>
        ) : submission?.status === 'rejected' ? (
          <div className="verification-status verification-bad" role="status">
            <p>Your last submission was not accepted.</p>
            <p>
              <strong>Reason:</strong> {submission.reason}
            </p>
            <p>Fix what the reason says and submit again.</p>
          </div>
        ) : null}
      </div>
      {!verified && submission?.status !== 'pending' && <VerificationForm key={submission?.id ?? 'first'} onDone={(v) => qc.setQueryData(verificationKey, v)} />}
    </section>
  );
}

function VerificationForm({ onDone }: { onDone: (v: VerificationState) => void }) {
  // One id per form: a retry after a lost answer is the same submission.
  const id = useMemo(() => crypto.randomUUID(), []);
  const [legalName, setLegalName] = useState('');
  const [dateOfBirth, setDateOfBirth] = useState('');
  const [country, setCountry] = useState('');
  const [document, setDocument] = useState<UploadTask | null>(null);
  const [selfie, setSelfie] = useState<UploadTask | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const docState = useUploadState(document);
  const selfieState = useUploadState(selfie);
  const countries = useMemo(() => {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    return COUNTRY_CODES.map((c) => ({ code: c, name: names.of(c) ?? c })).sort((a, b) => a.name.localeCompare(b.name));
  }, []);
  const nameId = useId();
  const dobId = useId();
  const countryId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!legalName.trim() || !dateOfBirth || !country) return setProblem('Fill in your legal name, date of birth and country.');
    if (docState?.phase !== 'ready' || selfieState?.phase !== 'ready') return setProblem('Add both photos and wait until they are ready.');
    setProblem(null);
    await action.run(async () => {
      const r = await api<{ verification: VerificationState }>('/api/verification', {
        body: { id, legalName, dateOfBirth, country, documentMediaId: docState.media.id, selfieMediaId: selfieState.media.id },
      });
      onDone(r.verification);
    });
  };

  return (
    <StudioCard title="Verify your identity">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor={nameId}>Legal name</label>
          <input id={nameId} value={legalName} onChange={(e) => setLegalName(e.target.value)} autoComplete="name" maxLength={200} required />
          <small className="hint">As it is written on your ID document.</small>
        </div>
        <div className="field">
          <label htmlFor={dobId}>Date of birth</label>
          <input id={dobId} type="date" value={dateOfBirth} onChange={(e) => setDateOfBirth(e.target.value)} autoComplete="bday" required />
        </div>
        <div className="field">
          <label htmlFor={countryId}>Country</label>
          <select id={countryId} value={country} onChange={(e) => setCountry(e.target.value)} required>
            <option value="">Choose your country</option>
            {countries.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <PhotoSlot label="ID document photo" hint="A passport, ID card or driving licence, all four corners visible." task={document} onTask={setDocument} />
        <PhotoSlot label="Selfie" hint="Your face next to the same document." task={selfie} onTask={setSelfie} />
        {problem && (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <FormError error={action.error} text={submitErrorText} />
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {action.busy ? 'Submitting…' : 'Submit for review'}
        </button>
      </form>
    </StudioCard>
  );
}

function submitErrorText(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === 'AGE_RESTRICTED') return 'Creators must be 18 or older: the date of birth on your document says you are not.';
  if (err.code === 'NOT_FOUND') return 'One of the photos is no longer available. Upload it again.';
  if (err.code === 'VALIDATION_FAILED') return 'Check your name, date of birth and country.';
  return null;
}

/** One of the two photos: pick, upload (kind verification_document, private), processing, ready with a preview. */
function PhotoSlot({ label, hint, task, onTask }: { label: string; hint: string; task: UploadTask | null; onTask: (t: UploadTask | null) => void }) {
  const qc = useQueryClient();
  const { socket } = useSocket();
  const state = useUploadState(task);
  const inputId = useId();
  return (
    <div className="field verification-photo">
      <label htmlFor={inputId}>{label}</label>
      <small className="hint">{hint}</small>
      <div className="verification-photo-row">
        <div className="verification-thumb">
          {state?.phase === 'ready' ? <Media media={state.media} alt={`Your ${label.toLowerCase()}`} sizes="160px" /> : <div className="media media-empty">None</div>}
        </div>
        <div className="verification-photo-pick">
          <input
            id={inputId}
            type="file"
            accept={acceptOf('verification_document')}
            onChange={(ev) => {
              const f = ev.target.files?.[0];
              if (!f) return;
              task?.cancel();
              onTask(startUpload(f, 'verification_document', { events: socket, onView: (m) => putView(qc, m) }));
            }}
          />
          <p className="photo-status" aria-live="polite">
            {state?.phase === 'sending' && `Uploading… ${percentText(state.loaded, state.total)}`}
            {(state?.phase === 'starting' || state?.phase === 'processing') && 'Processing…'}
            {state?.phase === 'ready' && 'Ready.'}
            {(state?.phase === 'rejected' || state?.phase === 'failed') && `Not used: ${state.message}`}
          </p>
        </div>
      </div>
    </div>
  );
}
