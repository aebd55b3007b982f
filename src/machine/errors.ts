/**
 * What the virt machine refuses when it is built: {@link VmConfigError}, a
 * VM that cannot be built from the options given (RAM larger than the
 * board allows, an image that collides with the device tree). Image
 * problems proper are the loader's ImageError; board file problems are the
 * board's BoardError.
 */

/** Why a VM could not be built. */
export type VmConfigErrorReason =
  | 'bad-ram-size' // not a positive multiple of 4 KiB
  | 'ram-exceeds-budget' // more RAM than the board's ramBudget
  | 'image-overlaps-device-tree' // the image's bytes would lie where the device tree goes
  | 'bad-device-tree' // a device tree blob given instead of the generated one does not parse
  | 'bad-load' // a data image (`loads`) outside RAM, or overlapping the image, the device tree or another
  | 'bad-option'; // a missing or mistyped option

/** A VM the monitor refused to build; `option` names the option at fault. */
export class VmConfigError extends Error {
  readonly reason: VmConfigErrorReason;
  /** The option concerned (`ramSize`, `image`, `clock`, ...). */
  readonly option: string;

  constructor(reason: VmConfigErrorReason, option: string, detail: string) {
    super(`${option}: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'VmConfigError', writable: true, configurable: true });
    this.reason = reason;
    this.option = option;
  }
}
