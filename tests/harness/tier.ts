/**
 * The hart tier the engine-neutral suites run under: 'interp' (default) or
 * 'jit' (docs/jit.md). Chosen per run, not per suite: under Node by the
 * environment variable XSVISOR_TIER (`npm run test:jit` sets it), under XS
 * by a global `XSVISOR_TIER` the lane's bundle may define. Importing this
 * module (the harness index does) makes it the default tier of every Hart
 * built afterwards, so fixtures and VMs need no change; `TIER` tells a test
 * which tier it is checking.
 */
import { setDefaultTier } from '../../src/cpu/index.js';

const g = globalThis as { XSVISOR_TIER?: string; process?: { env?: Record<string, string | undefined> } };
const chosen = g.XSVISOR_TIER ?? g.process?.env?.['XSVISOR_TIER'] ?? 'interp';
if (chosen !== 'interp' && chosen !== 'jit') throw new Error(`XSVISOR_TIER: '${chosen}' is not interp or jit`);

/** The tier of this run. */
export const TIER: 'interp' | 'jit' = chosen;
setDefaultTier(TIER);
