/**
 * The child side of a bench's IPC channel (a driver or client process started by its bench with `fork`):
 * messages from the parent are queued until asked for, one at a time and in order; the parent going away
 * (crash, Ctrl-C) ends the child rather than leaving it loading a server.
 */
export interface ChildChannel<In extends { type: string }, Out> {
  send(m: Out): void;
  /** Resolves once the message is handed to the channel, so disconnecting afterwards loses nothing. */
  sendLast(m: Out): Promise<void>;
  /** The parent's next message. */
  next(): Promise<In>;
  /** The parent's next message, which must be of this type. */
  expect<T extends In['type']>(type: T): Promise<Extract<In, { type: T }>>;
}

export function childChannel<In extends { type: string }, Out>(who: string): ChildChannel<In, Out> {
  if (!process.send) {
    console.error(`${who} is started by its bench with an IPC channel`);
    process.exit(2);
  }
  const queued: In[] = [];
  let waiting: ((m: In) => void) | undefined;
  process.on('message', (m: In) => {
    const w = waiting;
    waiting = undefined;
    if (w) w(m);
    else queued.push(m);
  });
  process.on('disconnect', () => process.exit(1));
  const next = (): Promise<In> => {
    const m = queued.shift();
    return m ? Promise.resolve(m) : new Promise((resolve) => (waiting = resolve));
  };
  return {
    send: (m) => process.send!(m),
    sendLast: (m) => new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve())),
    next,
    async expect(type) {
      const m = await next();
      if (m.type !== type) throw new Error(`${who} expected "${type}", got "${m.type}"`);
      return m as Extract<In, { type: typeof type }>;
    },
  };
}
