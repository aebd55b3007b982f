/** The engine-neutral core's public API, layer by layer (lowest first). */
export * from './addr/index.js';
export * from './state/index.js';
export * from './device/index.js';
export * from './addrspace/index.js';
export * from './ports/index.js';
export * from './ports/sim/index.js';
export * from './cpu/index.js';
export * from './devices/index.js';
export * from './fdt/index.js';
export * from './loader/index.js';
export * from './board/index.js';
export * from './snapshot/index.js';
export * from './machine/index.js';
export * from './monitor/index.js';
