/** Flattened devicetree: a blob writer and reader (Devicetree Specification 0.4), the virt VM's tree, and where it goes in RAM. */
export * from './errors.js';
export { FDT_MAGIC, FDT_VERSION, FDT_LAST_COMP_VERSION, FdtToken } from './format.js';
export * from './writer.js';
export * from './reader.js';
export * from './virt.js';
export * from './placement.js';
export * from './edit.js';
