/** What the last admin action did, in words: good or bad. */
export interface Notice {
  ok: boolean;
  text: string;
}

/** The last action's outcome, announced politely; the slot keeps its place so the list does not jump. */
export function NoticeLine({ notice }: { notice: Notice | null }) {
  return (
    <div aria-live="polite" className="notice-slot">
      {notice && (
        <p className={`verdict ${notice.ok ? 'verdict-ok' : 'verdict-bad'}`} role="status">
          {notice.text}
        </p>
      )}
    </div>
  );
}
