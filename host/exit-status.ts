/**
 * The process exit statuses of every `xsvisor` command, where the CLI, the
 * session, the HIL harness and the snapshot files all import them from
 * (nothing in host/ imports upward from host/cli/). README "Exit status"
 * is the table users read.
 */

/**
 * The process exit statuses. Status values the guest itself uses come
 * first: a guest's exit code from the test finisher or HTIF is the
 * process's status (modulo 256, as for any process). xsvisor's own
 * statuses follow sysexits(3) and timeout(1), chosen high so that they
 * rarely collide with a guest's small exit codes.
 */
export const EXIT = Object.freeze({
  /** Bad arguments (EX_USAGE). */
  USAGE: 64,
  /** The image or the board file is unusable: unreadable, malformed, or not fitting (EX_DATAERR). */
  BAD_INPUT: 65,
  /** A serial backend or the board view could not start: TCP port in use, no pty (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** A bug in xsvisor, or a hart stopped by a fatal condition (EX_SOFTWARE). */
  INTERNAL: 70,
  /** --timeout expired (as timeout(1)). */
  TIMEOUT: 124,
  /** --max-insns reached before the guest exited. */
  MAX_INSNS: 125,
  /** An output file (--snapshot-save, --trace-file, hil --output) could not be written (EX_CANTCREAT). */
  CANT_CREATE: 73,
  /** One IMAGE made no progress: the monitor's no-progress or trap-storm rule stopped it (or a trap reached M-mode under the SBI). */
  GUEST_STUCK: 71,
});
