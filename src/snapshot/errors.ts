/**
 * What a snapshot load refuses.
 *
 * Owns {@link SnapshotError}: every problem with a snapshot file or with
 * restoring it into a VM is one of these, with a reason, the place in the
 * file (or the option) at fault, and a message naming both. Parsing never
 * throws anything else, whatever the bytes (tests/core/snapshot-fuzz).
 */

/** Why a snapshot was refused. */
export type SnapshotErrorReason =
  | 'bad-magic' // the file does not start with the snapshot magic
  | 'unsupported-version' // a format version this build cannot read
  | 'truncated' // the file ends before its header, a section or the checksum
  | 'corrupt' // the CRC-32 does not match, or the content is malformed (bad section, length or value)
  | 'mismatch' // taken from another image, board, RAM size, firmware or mode than the VM it is restored into
  | 'bad-state'; // a device or the hart refused its saved state

/** A snapshot that cannot be read or restored. */
export class SnapshotError extends Error {
  readonly reason: SnapshotErrorReason;
  /** Where: `header`, `checksum`, a section (`section HART`), a field, or the option that does not match. */
  readonly place: string;

  constructor(reason: SnapshotErrorReason, place: string, detail: string) {
    super(`snapshot ${reason} (${place}): ${detail}`);
    Object.defineProperty(this, 'name', { value: 'SnapshotError', writable: true, configurable: true });
    this.reason = reason;
    this.place = place;
  }
}
