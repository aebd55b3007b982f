/**
 * The error the in-memory ports refuse a request with, and their capacity check.
 *
 * The in-memory ports are engine-neutral and bounded: every buffer has a
 * fixed capacity chosen at construction, and what does not fit is refused
 * or counted, never stored. Like the ECMA-419 objects they stand in for,
 * they never call back from inside `read()`/`write()`; callbacks run from
 * the methods the test calls (`inject`, `setWritable`, `drive`, `runDue`,
 * ...), which play the part of the event loop.
 */

/** Why an in-memory port refused a request. */
export type PortErrorReason = 'in-use' | 'closed' | 'full' | 'bad-value';

/** A request an in-memory port refused. */
export class PortError extends Error {
  readonly reason: PortErrorReason;
  /** Which port: `serial`, `pin`, `clock` or `scheduler`. */
  readonly port: string;

  constructor(port: string, reason: PortErrorReason, detail: string) {
    super(`${port}: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'PortError', writable: true, configurable: true });
    this.port = port;
    this.reason = reason;
  }
}

/** Refuses a capacity that is not an integer in [1, 2^26] with a PortError naming `port` and `what`; returns it. */
export function checkCapacity(port: string, what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0x4000000) {
    throw new PortError(port, 'bad-value', `${what} ${n} is not an integer in [1, 2^26]`);
  }
  return n;
}
