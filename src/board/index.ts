/** Board files (what a board offers guests, how devices are wired) and the size syntax they share with the CLI. */
export * from './errors.js';
export * from './size.js';
export * from './board.js';
export * from './json-text.js';
