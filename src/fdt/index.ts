/** Flattened devicetree: a blob writer and reader (Devicetree Specification 0.4) and the bootargs edit of a given blob. */
export * from './errors.js';
export { FDT_MAGIC, FDT_VERSION, FDT_LAST_COMP_VERSION, FdtToken } from './format.js';
export * from './writer.js';
export * from './reader.js';
export * from './edit.js';
