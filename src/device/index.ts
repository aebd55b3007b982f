/** Layer 2: the device contract (BaseDeviceOps), access widths and rules, device kinds and errors. */
export * from './access.js';
export * from './emu-type.js';
export * from './errors.js';
export type { BaseDeviceOps } from './base-device.js';
export * from './irq.js';
