/**
 * Layer 5: VMs of the virt machine (assembly, boot, run loop), the driver
 * that runs one on the event loop, and the monitor that runs several:
 * configuration, scheduling, the SBI, fault containment, deterministic
 * time and the console shared between VMs.
 */
export * from './errors.js';
export * from './exit.js';
export * from './vm.js';
export * from './driver.js';
export * from './config.js';
export * from './sbi.js';
export * from './fault.js';
export * from './icount.js';
export * from './console-mux.js';
export * from './monitor.js';
export * from './trace.js';
