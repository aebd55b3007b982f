/**
 * Why the Moddable app could not start a guest.
 *
 * Owns {@link ModdableAppError}. Board file problems proper stay the board
 * module's BoardError, image problems the loader's ImageError and VM
 * problems the monitor's VmConfigError: this one covers what only the
 * app knows about (its build configuration, its resources in flash, the
 * board it was built for).
 */

/** What went wrong. */
export type ModdableAppErrorReason =
  | 'bad-config' // mc/config lacks a setting or has one of the wrong type
  | 'missing-resource' // a resource named by the configuration is not in flash
  | 'bad-resource' // a resource that cannot be read as what it should be (e.g. a board file that is not UTF-8)
  | 'platform-mismatch' // the board file is for another platform than the build
  | 'not-a-board-uart' // the board's UART0 goes to a host port (a host board file on a device)
  | 'no-room'; // the guest needs more RAM than the board's budget

/** The app refused to start; `subject` names the setting or resource at fault. */
export class ModdableAppError extends Error {
  readonly reason: ModdableAppErrorReason;
  /** The config key or resource name concerned (`board`, `guest.elf`, ...). */
  readonly subject: string;

  constructor(reason: ModdableAppErrorReason, subject: string, detail: string) {
    super(`${subject}: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'ModdableAppError', writable: true, configurable: true });
    this.reason = reason;
    this.subject = subject;
  }
}
