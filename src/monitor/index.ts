/** Layer 5: VMs of the virt machine (assembly, boot, run loop) and the driver that runs them on the event loop. */
export * from './errors.js';
export * from './exit.js';
export * from './vm.js';
export * from './driver.js';
