/** Package entry: the engine-neutral core's public API (built to dist/index.js). */
export * from './src/index.js';
