/**
 * What a script must undo (servers, databases, Redis prefixes, child
 * processes), undone last-in first-out at the end or on Ctrl-C. A step that
 * fails is logged and the next one still runs; with `stepTimeoutMs`, a step
 * that hangs (a node stuck in shutdown) is left behind after that long.
 */
export class Cleanups {
  private readonly steps: Array<() => unknown> = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: (message: string) => void,
    private readonly stepTimeoutMs?: number,
  ) {}

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /**
   * Runs every step added so far. A call while a run is under way waits for
   * that run: after Ctrl-C, the script's own path (which fails as its
   * children go) must not return, and exit, before the clean-up is done.
   */
  run(): Promise<void> {
    this.running ??= this.runSteps().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runSteps(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const done = Promise.resolve()
        .then(step)
        .catch((err: unknown) => this.log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`));
      const deadline =
        this.stepTimeoutMs === undefined
          ? done
          : new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                this.log(`cleanup step did not finish within ${Math.round(this.stepTimeoutMs! / 1000)} s; moving on`);
                resolve();
              }, this.stepTimeoutMs);
            });
      await Promise.race([done, deadline]);
      clearTimeout(timer);
    }
  }

  /** Ctrl-C: `onInterrupt` (the script stops starting new work), the message, every step, exit 130. */
  onSigint(message = 'interrupted: cleaning up', onInterrupt?: () => void): void {
    process.once('SIGINT', () => {
      onInterrupt?.();
      this.log(message);
      void this.run().finally(() => process.exit(130));
    });
  }
}
