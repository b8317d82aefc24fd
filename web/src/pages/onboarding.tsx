import { useEffect, useRef, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { keys } from '../lib/queries.js';
import type { OwnProfile } from '../lib/profile-format.js';
import { ErrorNote, Loading } from '../components/ui.js';
import { ProfileStep } from './onboarding-profile.js';
import { PreferencesStep } from './onboarding-preferences.js';
import { QuestionsStep } from './onboarding-questions.js';
import './onboarding.css';

const STEPS = [
  { id: 'profile', label: 'About you', title: 'Tell people about yourself' },
  { id: 'preferences', label: 'Preferences', title: 'Who would you like to meet?' },
  { id: 'questions', label: 'Compatibility', title: 'A few questions' },
] as const;
export type StepId = (typeof STEPS)[number]['id'];

/**
 * Where sign-up lands: profile, preferences, compatibility questions. Each
 * step saves on its own and can be skipped; the step is in the address
 * (?step=), so Back and a reload keep the place, and discover's empty state
 * can link straight to the preferences.
 */
export default function Onboarding() {
  const [params, setParams] = useSearchParams();
  const index = Math.max(
    0,
    STEPS.findIndex((s) => s.id === params.get('step')),
  );
  const step = STEPS[index]!;
  const go = (id: StepId) => setParams({ step: id });

  const profile = useQuery({
    queryKey: keys.profile,
    queryFn: async () => (await api<{ profile: OwnProfile }>('/api/profile')).profile,
  });

  // A new step is announced by moving focus to its heading (not on the first visit: the page title is read then).
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
    window.scrollTo({ top: 0 });
  }, [step.id]);

  let body: ReactNode;
  if (profile.isPending) body = <Loading label="Loading your profile" />;
  else if (profile.isError) body = <ErrorNote error={profile.error} retry={() => void profile.refetch()} />;
  else if (step.id === 'profile') body = <ProfileStep profile={profile.data} onDone={() => go('preferences')} />;
  else if (step.id === 'preferences') body = <PreferencesStep profile={profile.data} onDone={() => go('questions')} onBack={() => go('profile')} />;
  else body = <QuestionsStep onBack={() => go('preferences')} />;

  return (
    <section className="page onboarding">
      <p className="onboarding-eyebrow">Set up your profile</p>
      <nav aria-label="Set-up steps">
        <ol className="steps">
          {STEPS.map((s, i) => (
            <li key={s.id} className={i < index ? 'done' : i === index ? 'current' : ''}>
              <Link to={`?step=${s.id}`} aria-current={i === index ? 'step' : undefined}>
                <span className="step-dot" aria-hidden="true">
                  {i < index ? '✓' : i + 1}
                </span>
                <span className="step-label">{s.label}</span>
              </Link>
            </li>
          ))}
        </ol>
      </nav>
      <div className="steps-bar" aria-hidden="true">
        <span style={{ width: `${((index + 1) / STEPS.length) * 100}%` }} />
      </div>
      <h1 className="page-title onboarding-title" ref={heading} tabIndex={-1}>
        <span className="visually-hidden">
          Step {index + 1} of {STEPS.length}:{' '}
        </span>
        {step.title}
      </h1>
      {body}
    </section>
  );
}
