/**
 * Who is typing where, from chat:typing pushes. An indicator ends by itself
 * after the `expiresInMs` the server gave (it renews it while the peer keeps
 * typing), when the peer says they stopped, or when their message arrives.
 * The clock is passed in; a timer (setTimeout, available in node too) wakes
 * the listeners when the next indicator lapses.
 */
export class TypingState {
  /** conversation id → user id → until (ms since epoch). */
  private readonly until = new Map<string, Map<string, number>>();
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private version = 0;

  constructor(private readonly now: () => number = Date.now) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes whenever who is typing changes (a snapshot for useSyncExternalStore). */
  snapshot(): number {
    return this.version;
  }

  set(conversationId: string, userId: string, typing: boolean, expiresInMs: number): void {
    const m = this.until.get(conversationId) ?? new Map<string, number>();
    const was = m.has(userId);
    if (typing && expiresInMs > 0) m.set(userId, this.now() + expiresInMs);
    else m.delete(userId);
    if (m.size) this.until.set(conversationId, m);
    else this.until.delete(conversationId);
    if (was !== m.has(userId)) this.changed();
    this.arm();
  }

  /** Who is typing in the conversation now (other than `except`). */
  typing(conversationId: string, except?: string): string[] {
    const now = this.now();
    return [...(this.until.get(conversationId) ?? [])].filter(([u, t]) => t > now && u !== except).map(([u]) => u);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.until.clear();
    this.changed();
  }

  /** Wakes up when the soonest indicator lapses, drops the lapsed ones and tells the listeners. */
  private arm(): void {
    clearTimeout(this.timer);
    let soonest = Infinity;
    for (const m of this.until.values()) for (const t of m.values()) soonest = Math.min(soonest, t);
    if (soonest === Infinity) return;
    this.timer = setTimeout(() => {
      const now = this.now();
      let lapsed = false;
      for (const [c, m] of this.until) {
        for (const [u, t] of m) {
          if (t <= now) {
            m.delete(u);
            lapsed = true;
          }
        }
        if (!m.size) this.until.delete(c);
      }
      if (lapsed) this.changed();
      this.arm();
    }, Math.max(0, soonest - this.now()) + 10);
  }

  private changed(): void {
    this.version++;
    for (const l of [...this.listeners]) l();
  }
}
