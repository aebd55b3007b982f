/**
 * Why a host serial backend (TCP server, pseudo-terminal) failed.
 *
 * Owns {@link SerialBackendError}: one class for both backends, so the CLI
 * can report any of them the same way and tell the reasons apart by field
 * rather than by parsing messages.
 */

/** Which backend failed. */
export type SerialBackendKind = 'tcp' | 'pty';

/**
 * What went wrong:
 * - `bad-option`: an option is out of range (a port above 65535, a capacity of 0);
 * - `address-in-use`: another process listens on the TCP port;
 * - `listen-failed`: the TCP server could not listen for another reason;
 * - `no-python`: the pty relay's interpreter could not be started;
 * - `relay-failed`: the pty relay exited or reported an error;
 * - `in-use`: the port was opened twice (a UART opens it once);
 * - `closed`: the backend was used after `close()`;
 * - `not-started`: the port was opened before `start()` resolved.
 */
export type SerialBackendReason =
  | 'bad-option'
  | 'address-in-use'
  | 'listen-failed'
  | 'no-python'
  | 'relay-failed'
  | 'in-use'
  | 'closed'
  | 'not-started';

/** A host serial backend refused a request or failed. */
export class SerialBackendError extends Error {
  readonly backend: SerialBackendKind;
  readonly reason: SerialBackendReason;
  /** What the backend was serving, as the user would name it (`tcp:127.0.0.1:4444`, `pty`). */
  readonly endpoint: string;
  /** The underlying error (a Node system error, a relay message), when there is one. */
  override readonly cause: unknown;

  constructor(fields: {
    backend: SerialBackendKind;
    reason: SerialBackendReason;
    endpoint: string;
    detail: string;
    cause?: unknown;
  }) {
    super(`${fields.endpoint}: ${fields.detail}`);
    this.name = 'SerialBackendError';
    this.backend = fields.backend;
    this.reason = fields.reason;
    this.endpoint = fields.endpoint;
    this.cause = fields.cause;
  }
}
