/**
 * Bundles an entry module and what it imports into one classic script
 * (an IIFE) for an xsnap worker, with esbuild; once per entry and process.
 * Node modules are refused: nothing of Node may reach XS. Whitespace is
 * minified: xsnap compiles with line numbers (mxDebug), one bytecode per
 * source line run, which costs the interpreter loop about 14 % of its
 * bytecodes (docs/xs-performance.md); a board's release build has none.
 */

import { relative } from 'node:path';
import type { Plugin } from 'esbuild';

/** Options of {@link bundleForXs}. */
export interface BundleOptions {
  /** The entry module's path. */
  readonly entry: string;
  /** More resolvers (e.g. Moddable's module names to host stand-ins). */
  readonly plugins?: readonly Plugin[];
  /** The tsconfig to read TypeScript settings from. */
  readonly tsconfig?: string;
}

const bundles = new Map<string, Promise<string>>();

/** Resolves with the script's text. Rejects when esbuild is missing (it is a development dependency) or the bundle fails. */
export function bundleForXs(options: BundleOptions): Promise<string> {
  let bundle = bundles.get(options.entry);
  if (bundle === undefined) {
    bundle = (async () => {
      const esbuild = await import('esbuild');
      const noNode: Plugin = {
        name: 'no-node',
        setup(b) {
          b.onResolve({ filter: /^node:/ }, (args) => ({
            errors: [{ text: `${relative(process.cwd(), args.importer)} imports ${args.path}: code that runs under XS may not use Node modules` }],
          }));
        },
      };
      const r = await esbuild.build({
        entryPoints: [options.entry],
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'neutral',
        target: 'es2022',
        minifyWhitespace: true,
        legalComments: 'none',
        logLevel: 'silent',
        ...(options.tsconfig === undefined ? {} : { tsconfig: options.tsconfig }),
        plugins: [...(options.plugins ?? []), noNode],
      });
      return r.outputFiles[0]!.text;
    })();
    bundles.set(options.entry, bundle);
  }
  return bundle;
}
