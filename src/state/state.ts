/**
 * The snapshot contract of devices (and of the hart): a device gives its
 * guest-visible state as a flat record of plain values, and takes such a
 * record back.
 *
 * Owns {@link DeviceState}, {@link Snapshottable}, {@link DeviceStateError}
 * and the checked field readers that keep a corrupt or forged record from
 * putting a device in a state it could not reach by itself. Knows nothing of
 * files: the encoding is src/snapshot/'s. What belongs in a state:
 * docs/design.md#saved-state-and-snapshots.
 */

/** One field of a {@link DeviceState}: a number (any float64), a flag, bytes, or 32-bit words. */
export type StateValue = number | boolean | Uint8Array | Uint32Array;

/** A device's saved state: field name to value. Field names are ASCII, at most 255 bytes. */
export interface DeviceState {
  readonly [field: string]: StateValue;
}

/**
 * A device (or hart) whose state can be saved and restored.
 * `saveState` returns a fresh record (no views of live buffers) and has no
 * effect the guest could see; `restoreState` takes a record made by the
 * same kind of device built with the same options, refuses anything else
 * with a {@link DeviceStateError} before changing any state, and drives
 * its outputs (interrupt lines, pins) to the restored levels.
 */
export interface Snapshottable {
  saveState(): DeviceState;
  restoreState(state: DeviceState): void;
}

/** A state record a device cannot take: a field missing, of the wrong type, or out of range. */
export class DeviceStateError extends Error {
  /** The device (or `hart`). */
  readonly device: string;
  /** The field at fault. */
  readonly field: string;
  constructor(device: string, field: string, detail: string) {
    super(`${device}: saved state field '${field}' ${detail}`);
    Object.defineProperty(this, 'name', { value: 'DeviceStateError', writable: true, configurable: true });
    this.device = device;
    this.field = field;
  }
}

/**
 * Reads integer field `field` of `s`, for `device`; returns it. Refuses a
 * missing field, a non-integer or a value outside [min, max] with a
 * {@link DeviceStateError}.
 */
export function stateInt(s: DeviceState, device: string, field: string, min: number, max: number): number {
  const v = s[field];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new DeviceStateError(device, field, 'is missing or not an integer');
  if (v < min || v > max) throw new DeviceStateError(device, field, `is ${v}, outside [${min}, ${max}]`);
  return v;
}

/** Reads a 32-bit unsigned field (see {@link stateInt}). */
export function stateU32(s: DeviceState, device: string, field: string): number {
  return stateInt(s, device, field, 0, 0xffffffff);
}

/** Reads a finite number field; refuses a missing or non-finite one. */
export function stateNumber(s: DeviceState, device: string, field: string): number {
  const v = s[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DeviceStateError(device, field, 'is missing or not a finite number');
  return v;
}

/** Reads a boolean field; refuses a missing or non-boolean one. */
export function stateBool(s: DeviceState, device: string, field: string): boolean {
  const v = s[field];
  if (typeof v !== 'boolean') throw new DeviceStateError(device, field, 'is missing or not a flag');
  return v;
}

/** Reads a byte-array field of exactly `length` bytes; refuses anything else. */
export function stateBytes(s: DeviceState, device: string, field: string, length: number): Uint8Array {
  const v = s[field];
  if (!(v instanceof Uint8Array)) throw new DeviceStateError(device, field, 'is missing or not bytes');
  if (v.length !== length) throw new DeviceStateError(device, field, `holds ${v.length} bytes, not ${length}`);
  return v;
}

/** Reads a 32-bit word-array field of exactly `length` words; refuses anything else. */
export function stateWords(s: DeviceState, device: string, field: string, length: number): Uint32Array {
  const v = s[field];
  if (!(v instanceof Uint32Array)) throw new DeviceStateError(device, field, 'is missing or not 32-bit words');
  if (v.length !== length) throw new DeviceStateError(device, field, `holds ${v.length} words, not ${length}`);
  return v;
}
