/**
 * The process entry point of the `xsvisor` command (bin/xsvisor.js loads
 * the compiled copy of this module from dist/).
 *
 * Owns the process: passes its arguments and streams to `main`, makes sure
 * a terminal left in raw mode is restored however the process ends, and
 * exits with the status `main` resolves with. Unlike the core's modules,
 * this one acts when imported: that is its whole purpose.
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';

/** The package root: the nearest directory above this module holding package.json and boards/ (works from host/ and dist/host/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'boards'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const stdin = process.stdin;
const restoreTty = (): void => {
  if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
};
process.on('exit', restoreTty);
// XSVISOR_PROGRESS_SECONDS: seconds between progress updates (README); tests shorten it.
const progressSeconds = Number(process.env['XSVISOR_PROGRESS_SECONDS'] ?? '');

const status = await main({
  argv: process.argv.slice(2),
  packageRoot: packageRoot(),
  stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  progressIntervalMs: progressSeconds > 0 ? progressSeconds * 1000 : undefined,
  onSignal(stop) {
    const handlers = (['SIGTERM', 'SIGHUP', 'SIGINT'] as const).map((sig) => {
      const h = (): void => stop(sig);
      process.on(sig, h);
      return [sig, h] as const;
    });
    return () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    };
  },
});
restoreTty();
process.exit(status);
