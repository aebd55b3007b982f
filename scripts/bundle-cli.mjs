#!/usr/bin/env node
/**
 * `npm run build`'s second step: bundles the compiled CLI (dist/host/cli/
 * entry.js and the ~150 modules it imports) into one file,
 * dist/host/cli/xsvisor.js, which bin/xsvisor.js loads.
 *
 * Why: Node spends about 0.07 s of CPU resolving, reading and linking the
 * separate ES modules at every start (0.17 s for a `run` of a small guest,
 * 0.10 s from the bundle; docs/performance.md), and the benchmarks count
 * whole processes, start-up included. Packages (serialport, esbuild,
 * xsnap) stay external: they are resolved from node_modules as before.
 *
 * Exit status: 0 bundled, 1 esbuild failed (its message on stderr).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'host', 'cli');

try {
  await build({
    entryPoints: [join(CLI, 'entry.js')],
    outfile: join(CLI, 'xsvisor.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Error classes and the tests read class names; the bundle keeps them as tsc's output had them.
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch {
  process.exit(1);
}
