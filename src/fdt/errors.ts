/** What the device tree writer, reader and placement refuse. */

/** Why a tree, blob or placement was refused. */
export type FdtErrorReason =
  | 'bad-name' // a node or property name outside the spec's character set or length
  | 'duplicate' // a second child node of the same name
  | 'bad-value' // a cell, string or size that cannot be encoded
  | 'bad-blob' // a blob that does not parse
  | 'no-room'; // the blob does not fit where it must go

/** A device tree operation that was refused; `path` names the node or property concerned (or '' for none). */
export class FdtError extends Error {
  readonly reason: FdtErrorReason;
  readonly path: string;

  constructor(reason: FdtErrorReason, path: string, detail: string) {
    super(path === '' ? `device tree: ${detail}` : `device tree ${path}: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'FdtError', writable: true, configurable: true });
    this.reason = reason;
    this.path = path;
  }
}
