/**
 * How device models hold the ports behind them (serial lines, pins): a
 * port that fails is let go, never thrown into the guest or the port's own
 * callbacks, and what it threw is kept as an Error for the device's report.
 */

import { DeviceError } from '../device/index.js';

/** `e` as an Error (a thrown non-Error is wrapped with its string). */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Closes `port`; returns what its close() threw (as an Error), or null. Never throws. */
export function closePort(port: { close(): void }): Error | null {
  try {
    port.close();
    return null;
  } catch (e) {
    return asError(e);
  }
}

/**
 * Opens a port through its factory for device `device`; returns the port.
 * Refuses (DeviceError 'io' at `address`, width 4) when the factory throws,
 * with `failure` (what could not be opened) and the cause: the register
 * write that asked for the port faults, as a bus error would.
 */
export function openPort<O, P>(open: (options: O) => P, options: O, at: { device: string; address: number; failure: string }): P {
  try {
    return open(options);
  } catch (e) {
    throw new DeviceError({ kind: 'io', address: at.address, width: 4, device: at.device, detail: `${at.failure}: ${String(e)}` });
  }
}
