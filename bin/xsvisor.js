#!/usr/bin/env node
// The `xsvisor` command: runs the compiled CLI from dist/, bundled into one
// file (scripts/bundle-cli.mjs) so that Node starts it fast. dist/ is made by
// `npm run build`; without it this says so and exits with status 70 rather
// than failing with a stack trace.
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'host', 'cli', 'xsvisor.js');

if (!existsSync(entry)) {
  process.stderr.write(
    `xsvisor: the compiled CLI (${relative(process.cwd(), entry) || entry}) is missing.\n` +
      `xsvisor: run \`npm run build\` in ${root} first.\n`,
  );
  process.exit(70);
}
await import(pathToFileURL(entry).href);
