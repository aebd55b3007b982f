/**
 * The engine-neutral test harness: `describe`, `it` and assertions.
 *
 * Core suites (tests/core/) import only this module and the code under
 * test, so they run unchanged under Node and under XS.
 */
export { describe, it } from './node-runner.js';
export * as assert from './assert.js';
export { TIER } from './tier.js';
export { seededRandom } from './random.js';
