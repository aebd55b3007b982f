/** Layer 3: the guest physical address space (RAM, ROM, devices, overlays) and access routing. */
export * from './address-space.js';
export * from './errors.js';
