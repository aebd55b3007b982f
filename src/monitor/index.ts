/**
 * VMs of the virt machine (run loop, snapshots), the driver that runs one
 * on the event loop, and the monitor that runs several: configuration,
 * scheduling, fault containment, deterministic time, traces and the
 * console shared between VMs. The VM's options and errors are the
 * machine's (src/machine/), re-exported here with the VM.
 */
export { VmConfigError, type VmConfigErrorReason, type DataImage, type RomRegion } from '../machine/index.js';
export * from './exit.js';
export * from './vm.js';
export * from './driver.js';
export * from './config.js';
export * from './fault.js';
export * from './icount.js';
export * from './console-mux.js';
export * from './monitor.js';
export * from './trace.js';
