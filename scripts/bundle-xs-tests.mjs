#!/usr/bin/env node
/**
 * Bundles engine-neutral test suites (tests/core/*.test.ts) into classic
 * scripts that XS can evaluate (xsnap-worker's `e` command), with esbuild.
 *
 * The harness's `./node-runner.js` (node:test) is aliased to
 * `tests/harness/xs-runner.ts`; the bundle's entry loads the suite (so its
 * `describe`/`it` calls register), runs the tests, and sends each result to
 * the host as JSON through `issueCommand` (or prints TAP-like lines with
 * `print` where there is no `issueCommand`).
 *
 * As a command: node scripts/bundle-xs-tests.mjs [--outdir DIR] [SUITE.test.ts ...]
 * (default: every tests/core/*.test.ts; default DIR: node_modules/.cache/xs-tests).
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HARNESS = join(ROOT, 'tests', 'harness');
const XS_RUNNER = join(HARNESS, 'xs-runner.ts');

/** Every tests/core/*.test.ts, sorted, as absolute paths. */
export function listCoreSuites(root = ROOT) {
  const dir = join(root, 'tests', 'core');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Host timers and console for third-party test dependencies (node_modules
 * only, never src/ or tests/): XS has no setTimeout, clearTimeout or console
 * (xsnap has setImmediate and print). fast-check reads setTimeout and
 * clearTimeout when it loads (for its time limits and for stringifying
 * pending promises) and console.log as its default logger. Each shim is a
 * module-local binding, so it does not leak into the global object, and it
 * defers to the real global where the engine has one.
 */
const SHIMS = {
  setTimeout: `const setTimeout = typeof globalThis.setTimeout === 'function' ? globalThis.setTimeout : __xsTimers.setTimeout;`,
  clearTimeout: `const clearTimeout = typeof globalThis.clearTimeout === 'function' ? globalThis.clearTimeout : __xsTimers.clearTimeout;`,
  console: `const console = typeof globalThis.console === 'object' && globalThis.console !== null ? globalThis.console : { log: (...a) => { if (typeof print === 'function') print(a.map(String).join(' ')); } };`,
};
const TIMERS = `const __xsTimers = (() => {
  const later = typeof setImmediate === 'function' ? setImmediate : (f) => { Promise.resolve().then(f); };
  const cancelled = new Set();
  let next = 1;
  return {
    setTimeout(fn, ms, ...args) {
      const id = next++;
      const due = Date.now() + (ms > 0 ? ms : 0);
      const tick = () => {
        if (cancelled.delete(id)) return;
        if (Date.now() >= due) fn(...args);
        else later(tick);
      };
      later(tick);
      return id;
    },
    clearTimeout(id) { if (typeof id === 'number') cancelled.add(id); },
  };
})();`;

function shimFor(text) {
  const lines = [];
  for (const [name, decl] of Object.entries(SHIMS)) {
    if (new RegExp(`(?<![.\\w$])${name}\\b`).test(text) && !new RegExp(`\\b(function|const|let|var|class)\\s+${name}\\b`).test(text)) lines.push(decl);
  }
  if (lines.length === 0) return '';
  return (lines.some((l) => l.includes('__xsTimers')) ? TIMERS + '\n' : '') + lines.join('\n') + '\n';
}

/** esbuild plugin: swap node:test registration for the XS runner; refuse Node modules. */
const xsHarnessPlugin = {
  name: 'xs-harness',
  setup(b) {
    b.onResolve({ filter: /(^|\/)node-runner\.js$/ }, (args) => {
      if (resolve(args.resolveDir, args.path) === join(HARNESS, 'node-runner.js')) return { path: XS_RUNNER };
      return undefined;
    });
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const shim = shimFor(text);
      return shim === '' ? undefined : { contents: shim + text, loader: 'js' };
    });
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [
        {
          text: `${relative(ROOT, args.importer)} imports ${args.path}: code that runs under XS may not use Node modules`,
        },
      ],
    }));
  },
};

function entrySource(suite) {
  return `
import { run, describeError } from ${JSON.stringify(XS_RUNNER)};
const hasIssue = typeof issueCommand === 'function';
const send = hasIssue
  ? (event) => { issueCommand(new TextEncoder().encode(JSON.stringify(event)).buffer); }
  : null;
import(${JSON.stringify(suite)}).then(
  () => (send ? run(send) : run()),
  (e) => {
    const event = { type: 'load-error', message: describeError(e), stack: (e && typeof e.stack === 'string') ? e.stack : '' };
    if (send) send(event); else if (typeof print === 'function') print('not ok - loading the suite: ' + event.message);
  },
);
`;
}

/** Where bundles are written (by the command, and by the XS lane for reading XS stacks). */
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'xs-tests');

/**
 * Bundles one suite into an IIFE for XS, in memory. Returns
 * { code, map, outfile, warnings }: `map` is the source map's JSON text,
 * `outfile` the path the bundle is named after (under CACHE_DIR; nothing is
 * written). Throws esbuild's error (with its messages) if it cannot bundle.
 */
export async function bundleSuiteForXs(suitePath, { minify = false } = {}) {
  const suite = resolve(suitePath);
  const outfile = join(CACHE_DIR, basename(suite).replace(/\.ts$/, '.js'));
  const result = await build({
    stdin: { contents: entrySource(suite), resolveDir: dirname(suite), sourcefile: `xs-entry:${basename(suite)}`, loader: 'js' },
    bundle: true,
    write: false,
    outfile,
    sourcemap: 'external',
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    keepNames: true,
    minify,
    legalComments: 'none',
    logLevel: 'silent',
    tsconfig: join(ROOT, 'tsconfig.json'),
    plugins: [xsHarnessPlugin],
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  return { code: js.text, map: map ? map.text : null, outfile, warnings: result.warnings };
}

async function main(argv) {
  let outdir = CACHE_DIR;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--outdir') outdir = resolve(argv[++i]);
    else files.push(resolve(argv[i]));
  }
  mkdirSync(outdir, { recursive: true });
  for (const f of files.length > 0 ? files : listCoreSuites()) {
    const { code, map } = await bundleSuiteForXs(f);
    const out = join(outdir, basename(f).replace(/\.ts$/, '.js'));
    writeFileSync(out, code);
    if (map !== null) writeFileSync(`${out}.map`, map);
    console.log(`${relative(process.cwd(), out)}  ${(code.length / 1024).toFixed(0)} KiB`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e.message ?? e);
    process.exit(1);
  });
}
