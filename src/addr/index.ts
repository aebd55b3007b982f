/** Layer 1: guest address kinds, half-open ranges and alignment helpers. Imports nothing. */
export * from './guest-addr.js';
export * from './addr-range.js';
export * from './align.js';
