/**
 * What the hart refuses from its host (the monitor, a debugger, a device):
 * bad construction options, bad arguments, unknown CSRs in `readCsr` /
 * `writeCsr`. A guest never sees these: everything a guest does becomes
 * an architectural exception instead.
 */

/** Why the hart refused a host request. */
export type HartErrorKind =
  | 'bad-option' // a constructor option is missing or out of range
  | 'bad-argument' // a method argument is out of range (budget, pc, privilege mode, cause)
  | 'unknown-csr' // readCsr/writeCsr of a CSR number this hart does not implement
  | 'read-only-csr'; // writeCsr of a CSR whose number marks it read-only (bits 11:10 = 11)

/** A host request the hart refused. */
export class HartError extends Error {
  readonly kind: HartErrorKind;
  /** The option, argument or CSR number concerned. */
  readonly subject: string | number;

  constructor(kind: HartErrorKind, subject: string | number, message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'HartError', writable: true, configurable: true });
    this.kind = kind;
    this.subject = subject;
  }
}
