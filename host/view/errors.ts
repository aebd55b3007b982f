/**
 * Why the simulated board pins or the board view refused something.
 *
 * Owns {@link BoardPinsError} and {@link BoardViewError}: typed, with the
 * fields a caller branches on, so the CLI and the HTTP handlers never parse
 * messages.
 */

/** Why a pin request was refused. */
export type BoardPinsReason = 'unknown-line' | 'not-input' | 'duplicate-line';

/** A request about a named GPIO line that cannot be done. */
export class BoardPinsError extends Error {
  readonly reason: BoardPinsReason;
  /** The line's name as asked for. */
  readonly line: string;

  constructor(reason: BoardPinsReason, line: string, detail: string) {
    super(`GPIO line "${line}": ${detail}`);
    this.name = 'BoardPinsError';
    this.reason = reason;
    this.line = line;
  }
}

/** Why the board view could not do something. */
export type BoardViewReason = 'bad-option' | 'address-in-use' | 'listen-failed' | 'closed';

/** The board view's server failed or was misused. */
export class BoardViewError extends Error {
  readonly reason: BoardViewReason;
  /** Where it listens or was asked to (`127.0.0.1:0`). */
  readonly address: string;
  override readonly cause: unknown;

  constructor(reason: BoardViewReason, address: string, detail: string, cause?: unknown) {
    super(`board view at ${address}: ${detail}`);
    this.name = 'BoardViewError';
    this.reason = reason;
    this.address = address;
    this.cause = cause;
  }
}
