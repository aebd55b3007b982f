/** The hart's translation tier (`tier: 'jit'`): guest blocks compiled to JavaScript with `new Function`. See docs/jit.md. */
export {
  DEFAULT_CACHE_BLOCKS,
  DEFAULT_HOT_ENTRIES,
  DEFAULT_PROMOTE_CALLS,
  JitTier,
  defaultTier,
  jitAvailable,
  setDefaultTier,
  setJitCacheBlocks,
  setJitHotEntries,
  setJitPromoteCalls,
  type HartInternals,
  type JitTierOptions,
} from './driver.js';
export { MAX_BLOCK_INSNS } from './translate.js';
