/**
 * Errors a device handler may throw.
 *
 * A handler that refuses an access throws a {@link DeviceError}; the address
 * space turns it (and anything else a handler throws) into a guest-visible
 * access fault, so a device can never crash the monitor.
 */

import { formatAddr } from '../addr/index.js';
import type { AccessWidth } from './access.js';

/** Why a device refused an access. */
export type DeviceErrorKind =
  | 'unsupported-register' // no register at that offset
  | 'read-only' // a write to a register that can only be read
  | 'write-only' // a read of a register that can only be written
  | 'bad-width' // the register exists but not at this width
  | 'bad-value' // the value is not acceptable for the register
  | 'io'; // the peripheral behind the device failed

/** An access the device refused, with where and how it happened. */
export class DeviceError extends Error {
  readonly kind: DeviceErrorKind;
  readonly address: number;
  readonly width: AccessWidth;
  readonly device: string;

  constructor(options: { kind: DeviceErrorKind; address: number; width: AccessWidth; device: string; detail?: string }) {
    const { kind, address, width, device, detail } = options;
    super(`${device}: ${kind} at ${formatAddr(address)} (width ${width})${detail ? `: ${detail}` : ''}`);
    Object.defineProperty(this, 'name', { value: 'DeviceError', writable: true, configurable: true });
    this.kind = kind;
    this.address = address;
    this.width = width;
    this.device = device;
  }
}
