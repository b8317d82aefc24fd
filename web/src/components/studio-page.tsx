import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { MESSAGE_POLICIES, type CreatorPageView, type MessagePolicy } from '../../../shared/creators.js';
import { api, ApiError } from '../lib/api.js';
import { parseTags } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import { LabeledField, StudioCard, useAction } from './studio-form.js';
import { FormError } from './ui.js';

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
  const [saved, setSaved] = useState(false);
  const action = useAction();

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const ok = await action.run(async () => {
      const r = await api<{ creator: CreatorPageView }>('/api/creator/page', {
        method: 'PUT',
        body: { handle, bio, links: parseLinks(links), tags: parseTags(tags), messagePolicy: policy, randomMatches: random },
      });
      qc.setQueryData(creatorKeys.mine, r.creator);
      qc.setQueryData(creatorKeys.page(r.creator.handle), undefined);
    });
    setSaved(ok);
  };

  return (
    <StudioCard title="Your page">
      <form className="form" onSubmit={(e) => void save(e)}>
        <LabeledField label="Handle" hint={`3 to 30 letters, digits or _. Your page is at /c/${handle.toLowerCase() || 'handle'}.`}>
          {(c) => <input {...c} value={handle} onChange={(e) => setHandle(e.target.value)} required pattern="[A-Za-z0-9_]{3,30}" />}
        </LabeledField>
        <LabeledField label="Bio">{(c) => <textarea {...c} value={bio} maxLength={2000} rows={3} onChange={(e) => setBio(e.target.value)} />}</LabeledField>
        <LabeledField label="Links" hint="One per line: a label, a space, then an https:// address.">
          {(c) => <textarea {...c} value={links} rows={2} onChange={(e) => setLinks(e.target.value)} />}
        </LabeledField>
        <LabeledField label="Tags" hint="Fans filter the creators listing by them.">
          {(c) => <input {...c} value={tags} onChange={(e) => setTags(e.target.value)} placeholder="music, art" />}
        </LabeledField>
        <LabeledField label="Who may message you">
          {(c) => (
            <select {...c} value={policy} onChange={(e) => setPolicy(e.target.value as MessagePolicy)}>
              {MESSAGE_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {POLICY_TEXT[p]}
                </option>
              ))}
            </select>
          )}
        </LabeledField>
        <label className="radio">
          <input type="checkbox" checked={random} onChange={(e) => setRandom(e.target.checked)} /> Take part in random matches
        </label>
        <FormError error={action.error} text={(err) => (err instanceof ApiError && err.code === 'HANDLE_TAKEN' ? 'That handle is taken. Choose another.' : null)} />
        {saved && <p role="status">Page saved.</p>}
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {page ? 'Save page' : 'Create page'}
        </button>
      </form>
    </StudioCard>
  );
}
