import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { answerBody, IMPORTANCE } from '../../../shared/profiles.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { fieldErrorsOf, fieldErrorsOfApi, type FieldErrors } from '../lib/form.js';
import { firstUnanswered, IMPORTANCE_WORDS, profileKeys, type Importance, type Question } from '../lib/profile-format.js';
import { Empty, ErrorNote, Loading } from '../components/ui.js';

const IMPORTANCE_HINTS: Record<Importance, string> = {
  0: 'It does not count towards a match.',
  1: 'It counts a little.',
  10: 'It counts.',
  50: 'It counts a lot.',
  250: 'Someone with another answer will hardly match you.',
};

/**
 * The compatibility questions, one at a time. Each answer is saved on its
 * own (so leaving half way keeps what was answered); "Done" goes to discover.
 */
export function QuestionsStep({ onBack }: { onBack: () => void }) {
  const navigate = useNavigate();
  const questions = useQuery({
    queryKey: profileKeys.questions,
    queryFn: async () => (await api<{ questions: Question[] }>('/api/questions')).questions,
  });
  const [at, setAt] = useState<number | null>(null);
  const [note, setNote] = useState('');
  const list = questions.data ?? [];
  const index = at ?? firstUnanswered(list);
  const answered = list.filter((q) => q.mine).length;
  const current = list[index];

  const done = () => {
    void navigate('/discover');
  };

  return (
    <div className="questions">
      {questions.isPending ? (
        <Loading label="Loading questions" />
      ) : questions.isError ? (
        <ErrorNote error={questions.error} retry={() => void questions.refetch()} />
      ) : !current ? (
        <Empty title="No questions yet">
          <p>There are no compatibility questions to answer right now.</p>
        </Empty>
      ) : (
        <>
          <p className="questions-lead">
            Answer, say which answers you would accept from someone, and how much it matters. Your match percentage with each person comes from the questions you both answered.
          </p>
          <p className="visually-hidden" role="status">
            {note}
          </p>
          <div className="questions-progress">
            <span>
              <strong>{answered}</strong> of {list.length} answered
            </span>
            <ol className="question-dots" aria-label="Questions">
              {list.map((q, i) => (
                <li key={q.id}>
                  <button
                    type="button"
                    className={`question-dot${q.mine ? ' answered' : ''}`}
                    aria-current={i === index ? 'step' : undefined}
                    aria-label={`Question ${i + 1}${q.mine ? ', answered' : ''}`}
                    onClick={() => setAt(i)}
                  />
                </li>
              ))}
            </ol>
          </div>
          <QuestionCard
            key={current.id}
            question={current}
            number={index + 1}
            total={list.length}
            onPrevious={index > 0 ? () => setAt(index - 1) : undefined}
            onNext={() => setAt(index + 1 < list.length ? index + 1 : index)}
            onSaved={(updated) => {
              setNote(`Answer to question ${index + 1} saved.`);
              setAt(firstUnanswered(updated, index + 1));
            }}
            focusOnMount={at !== null}
          />
        </>
      )}
      <div className="step-actions">
        <button type="button" className="btn btn-secondary" onClick={onBack}>
          Back
        </button>
        <span className="step-actions-spacer" />
        <button type="button" className="btn btn-primary" onClick={done}>
          Done
        </button>
      </div>
    </div>
  );
}

function QuestionCard({
  question: q,
  number,
  total,
  onPrevious,
  onNext,
  onSaved,
  focusOnMount,
}: {
  question: Question;
  focusOnMount: boolean;
  number: number;
  total: number;
  onPrevious?: () => void;
  onNext: () => void;
  onSaved: (questions: Question[]) => void;
}) {
  const qc = useQueryClient();
  const titleId = useId();
  const [answer, setAnswer] = useState<number | null>(q.mine?.answer ?? null);
  const [accepted, setAccepted] = useState<number[]>(q.mine?.accepted ?? []);
  const [importance, setImportance] = useState<number>(q.mine?.importance ?? 10);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  // Moving between questions puts focus on the new one's text (not when the step opens: its title has it).
  useEffect(() => {
    if (focusOnMount) heading.current?.focus();
  }, [focusOnMount]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const body = { answer: answer ?? -1, accepted, importance };
    const checked = fieldErrorsOf(answerBody, body);
    const errs: FieldErrors = {};
    if (answer === null) errs.answer = 'Choose your answer.';
    if (checked.errors.accepted) errs.accepted = 'Tick at least one answer you would accept.';
    setErrors(errs);
    if (!checked.data || Object.keys(errs).length) return;
    setBusy(true);
    try {
      await api(`/api/questions/${q.id}/answer`, { method: 'PUT', body: checked.data });
      const mine = { answer: checked.data.answer, accepted: [...new Set(checked.data.accepted)].sort(), importance: checked.data.importance };
      const updated = (qc.getQueryData<Question[]>(profileKeys.questions) ?? []).map((x) => (x.id === q.id ? { ...x, mine } : x));
      qc.setQueryData(profileKeys.questions, updated);
      // Match percentages change with every answer.
      void qc.invalidateQueries({ queryKey: profileKeys.discover });
      onSaved(updated);
    } catch (err) {
      setErrors(fieldErrorsOfApi(err));
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form question-card" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <p className="question-count">
        Question {number} of {total}
        {q.mine && <span className="question-saved"> · answered</span>}
      </p>
      <h2 id={titleId} className="question-text" ref={heading} tabIndex={-1}>
        {q.text}
      </h2>

      <fieldset className="field">
        <legend>Your answer</legend>
        <div className="pills">
          {q.answers.map((a, i) => (
            <label key={i} className="pill">
              <input type="radio" name={`q${q.id}-answer`} checked={answer === i} onChange={() => setAnswer(i)} />
              <span>{a}</span>
            </label>
          ))}
        </div>
        {errors.answer && <small className="field-error">{errors.answer}</small>}
      </fieldset>

      <fieldset className="field">
        <legend>Answers you would accept from them</legend>
        <div className="pills">
          {q.answers.map((a, i) => (
            <label key={i} className="pill">
              <input type="checkbox" checked={accepted.includes(i)} onChange={(e) => setAccepted(e.target.checked ? [...accepted, i] : accepted.filter((x) => x !== i))} />
              <span>{a}</span>
            </label>
          ))}
        </div>
        {errors.accepted && <small className="field-error">{errors.accepted}</small>}
      </fieldset>

      <fieldset className="field">
        <legend>How much it matters to you</legend>
        <div className="segmented">
          {IMPORTANCE.map((n) => (
            <label key={n} className="segment">
              <input type="radio" name={`q${q.id}-importance`} checked={importance === n} onChange={() => setImportance(n)} />
              <span>{IMPORTANCE_WORDS[n]}</span>
            </label>
          ))}
        </div>
        <small className="hint">{IMPORTANCE_HINTS[importance as Importance]}</small>
      </fieldset>

      {error !== null && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <div className="question-actions">
        <button type="button" className="btn btn-link" onClick={onPrevious} disabled={!onPrevious}>
          Previous
        </button>
        <span className="step-actions-spacer" />
        <button type="button" className="btn btn-secondary" onClick={onNext} disabled={number === total}>
          Skip question
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save answer'}
        </button>
      </div>
    </form>
  );
}
