#!/usr/bin/env node
/**
 * The Moddable app's module list: every module `src/moddable/main.ts`
 * reaches through relative imports (type-only imports excluded: they
 * vanish at compile time), as module specifiers (`src/cpu/hart`).
 * manifest.json lists exactly these in `modules` and `preload`, because
 * mcconfig's wildcard preload entries only match `.js` files (tools/
 * mcmanifest.js, filterPreload, 7.0 through 8.2.3), and a wildcard module
 * entry would also sweep non-module files into the app.
 *
 * `node scripts/app-modules.mjs` prints the list; `--check` compares it
 * with manifest.json and exits 1 on a difference; `--write` updates it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = 'src/moddable/main';

// `import ... from './x.js'` and `export ... from './x.js'`, not `import type`/`export type`.
const IMPORT = /^\s*(import|export)\s+(?!type\s)[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/gms;
const SIDE_EFFECT_IMPORT = /^\s*import\s+'(\.{1,2}\/[^']+)'/gm;

/** The specifiers `file` imports at run time, relative ones only, resolved to module names. */
export function runtimeImports(root, module) {
  const text = readFileSync(join(root, `${module}.ts`), 'utf8');
  const out = [];
  for (const re of [IMPORT, SIDE_EFFECT_IMPORT]) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const spec = re === IMPORT ? m[2] : m[1];
      const target = relative(root, join(dirname(join(root, module)), spec)).replace(/\\/g, '/').replace(/\.js$/, '');
      out.push(target);
    }
  }
  return out;
}

/** The sorted closure of modules the app loads, from {@link ENTRY}. */
export function appModules(root = ROOT) {
  const seen = new Set([ENTRY]);
  const queue = [ENTRY];
  while (queue.length > 0) {
    for (const m of runtimeImports(root, queue.pop())) {
      if (!seen.has(m)) {
        seen.add(m);
        queue.push(m);
      }
    }
  }
  return [...seen].sort();
}

/** manifest.json's `modules` entries and `preload` list for `modules`. */
export function manifestEntries(modules) {
  return {
    modules: Object.fromEntries(modules.map((m) => [m, `./${m}`])),
    preload: [...modules],
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const modules = appModules();
  const file = join(ROOT, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const want = manifestEntries(modules);
  const same = JSON.stringify(manifest.modules) === JSON.stringify(want.modules) && JSON.stringify(manifest.preload) === JSON.stringify(want.preload);
  if (process.argv.includes('--write')) {
    manifest.modules = want.modules;
    manifest.preload = want.preload;
    writeFileSync(file, `${JSON.stringify(manifest, null, '\t')}\n`);
  } else if (process.argv.includes('--check')) {
    if (!same) {
      process.stderr.write('manifest.json: modules/preload differ from the app\'s imports; run node scripts/app-modules.mjs --write\n');
      process.exit(1);
    }
  } else process.stdout.write(`${modules.join('\n')}\n`);
}
