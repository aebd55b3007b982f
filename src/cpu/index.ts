/** Layer 4: the RV32IMAC hart (M/S/U modes, CSRs, traps, interrupts), its decoder and its run loop. */
export * from './constants.js';
export * from './isa/index.js';
export * from './arith.js';
export * from './errors.js';
export * from './hart.js';
export { DEFAULT_CACHE_BLOCKS, MAX_BLOCK_INSNS, defaultTier, jitAvailable, setDefaultTier, setJitCacheBlocks, setJitHotEntries } from './jit/index.js';
