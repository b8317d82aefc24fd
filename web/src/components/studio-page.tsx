import { useId, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { MESSAGE_POLICIES, type CreatorPageView, type MessagePolicy } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { parseTags } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';

const POLICY_TEXT: Record<MessagePolicy, string> = { everyone: 'Everyone', followers: 'Followers and subscribers', subscribers: 'Subscribers only' };

/** Links as lines of "label https://…" (one per line). */
function parseLinks(text: string): { label: string; url: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const at = l.lastIndexOf(' ');
      return at > 0 ? { label: l.slice(0, at).trim(), url: l.slice(at + 1) } : { label: l, url: l };
    });
}

/** The page editor: PUT /api/creator/page (creates it the first time). */
export function StudioPageEditor({ page }: { page: CreatorPageView | null }) {
  const qc = useQueryClient();
  const [handle, setHandle] = useState(page?.handle ?? '');
  const [bio, setBio] = useState(page?.bio ?? '');
  const [links, setLinks] = useState(page?.links.map((l) => `${l.label} ${l.url}`).join('\n') ?? '');
  const [tags, setTags] = useState(page?.tags.join(', ') ?? '');
  const [policy, setPolicy] = useState<MessagePolicy>(page?.messagePolicy ?? 'everyone');
  const [random, setRandom] = useState(page?.randomMatches ?? true);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const r = await api<{ creator: CreatorPageView }>('/api/creator/page', {
        method: 'PUT',
        body: { handle, bio, links: parseLinks(links), tags: parseTags(tags), messagePolicy: policy, randomMatches: random },
      });
      qc.setQueryData(creatorKeys.mine, r.creator);
      qc.setQueryData(creatorKeys.page(r.creator.handle), undefined);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Your page</h2>
      <form className="form" onSubmit={(e) => void save(e)}>
        <div className="field">
          <label htmlFor={`${id}-h`}>Handle</label>
          <input id={`${id}-h`} value={handle} onChange={(e) => setHandle(e.target.value)} required pattern="[A-Za-z0-9_]{3,30}" aria-describedby={`${id}-hh`} />
          <small id={`${id}-hh`} className="hint">
            3 to 30 letters, digits or _. Your page is at /c/{handle.toLowerCase() || 'handle'}.
          </small>
        </div>
        <div className="field">
          <label htmlFor={`${id}-b`}>Bio</label>
          <textarea id={`${id}-b`} value={bio} maxLength={2000} rows={3} onChange={(e) => setBio(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-l`}>Links</label>
          <textarea id={`${id}-l`} value={links} rows={2} onChange={(e) => setLinks(e.target.value)} aria-describedby={`${id}-lh`} />
          <small id={`${id}-lh`} className="hint">
            One per line: a label, a space, then an https:// address.
          </small>
        </div>
        <div className="field">
          <label htmlFor={`${id}-g`}>Tags</label>
          <input id={`${id}-g`} value={tags} onChange={(e) => setTags(e.target.value)} placeholder="music, art" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-p`}>Who may message you</label>
          <select id={`${id}-p`} value={policy} onChange={(e) => setPolicy(e.target.value as MessagePolicy)}>
            {MESSAGE_POLICIES.map((p) => (
              <option key={p} value={p}>
                {POLICY_TEXT[p]}
              </option>
            ))}
          </select>
        </div>
        <label className="radio">
          <input type="checkbox" checked={random} onChange={(e) => setRandom(e.target.checked)} /> Take part in random matches
        </label>
        {error !== null && (
          <p className="form-error" role="alert">
            {error instanceof ApiError && error.code === 'HANDLE_TAKEN' ? 'That handle is taken. Choose another.' : errorText(error)}
          </p>
        )}
        {saved && <p role="status">Page saved.</p>}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {page ? 'Save page' : 'Create page'}
        </button>
      </form>
    </section>
  );
}
