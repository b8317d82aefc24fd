/** Janus could not be reached: connection refused, timed out, or an HTTP-level failure. */
export class JanusUnreachableError extends Error {
  override readonly name = 'JanusUnreachableError';
  /** No answer within the timeout (a hung Janus), as opposed to a refused or failed request. */
  readonly timedOut: boolean;
  constructor(
    readonly instance: string,
    message: string,
    options?: ErrorOptions & { timedOut?: boolean },
  ) {
    super(`janus ${instance}: ${message}`, options);
    this.timedOut = options?.timedOut ?? false;
  }
}

/**
 * Janus answered with an error: a core one (`{ janus: 'error' }`, e.g. 458 no
 * such session) or a VideoRoom one (`error_code` in the plugin data, e.g. 426
 * no such room, 427 room exists, 433 unauthorized).
 */
export class JanusError extends Error {
  override readonly name = 'JanusError';
  constructor(
    readonly instance: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(`janus ${instance}: ${code} ${reason}`);
  }
}

/** No instance in the pool answered: the call cannot get media right now (SFU_UNAVAILABLE). */
export class NoHealthySfuError extends Error {
  override readonly name = 'NoHealthySfuError';
  constructor(readonly failures: Record<string, string>) {
    super(`no healthy Janus instance: ${Object.entries(failures).map(([id, e]) => `${id}: ${e}`).join('; ') || 'the pool is empty'}`);
  }
}

/** A room names an instance this controller was not configured with (config drift between nodes). */
export class UnknownSfuInstanceError extends Error {
  override readonly name = 'UnknownSfuInstanceError';
  constructor(readonly instance: string) {
    super(`unknown Janus instance "${instance}"`);
  }
}

/** Janus core error codes the controller acts on. */
export const JANUS_NO_SUCH_SESSION = 458;
export const JANUS_NO_SUCH_HANDLE = 459;
/** VideoRoom plugin error codes the controller acts on. */
export const VIDEOROOM_NO_SUCH_ROOM = 426;
export const VIDEOROOM_ROOM_EXISTS = 427;
export const VIDEOROOM_UNAUTHORIZED = 433;
