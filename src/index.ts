/** The engine-neutral core's public API. */
export * from './addr/index.js';
export * from './device/index.js';
export * from './addrspace/index.js';
