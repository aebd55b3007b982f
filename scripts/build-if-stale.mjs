#!/usr/bin/env node
/**
 * `npm start`'s first step: compiles the CLI into dist/ (tsc -p
 * tsconfig.build.json, then scripts/bundle-cli.mjs) only when a source is
 * newer than the last build, and says so while it works, instead of 20-30 s
 * of silence on every launch. The last build's time is that of the bundle,
 * dist/host/cli/xsvisor.js, which every `npm run build` writes anew, last.
 *
 * Exit status: 0 built or up to date, else tsc's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'dist', 'host', 'cli', 'xsvisor.js');

/** The newest modification time (ms) of the build's inputs. */
function newestInput() {
  let newest = 0;
  const visit = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== join(ROOT, 'src', 'moddable')) visit(p);
      } else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  visit(join(ROOT, 'src'));
  visit(join(ROOT, 'host'));
  for (const f of ['index.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestInput()) process.exit(0);
process.stderr.write('xsvisor: compiling the CLI into dist/ (tsc, about 20 s; again only when a source changes)...\n');
const started = Date.now();
const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs')], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 1);
process.stderr.write(`xsvisor: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
