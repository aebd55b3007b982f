/** Types of scripts/bundle-xs-tests.mjs, for the TypeScript files that import it. */
import type { Message } from 'esbuild';

/** The project's root directory. */
export declare const ROOT: string;
/** node_modules/.cache/xs-tests: where bundles are written. */
export declare const CACHE_DIR: string;
/** Every tests/core/*.test.ts, sorted, as absolute paths. */
export declare function listCoreSuites(root?: string): string[];

export interface XsSuiteBundle {
  /** A classic script (IIFE) for xsnap-worker's `e` command. */
  readonly code: string;
  /** The source map (JSON text), relative to `outfile`'s folder. */
  readonly map: string | null;
  /** The path the bundle is named after (nothing is written there). */
  readonly outfile: string;
  readonly warnings: Message[];
}

/** Bundles one engine-neutral suite for XS, with node-runner.js swapped for the XS runner. */
export declare function bundleSuiteForXs(suitePath: string, options?: { minify?: boolean }): Promise<XsSuiteBundle>;
