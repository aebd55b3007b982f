/**
 * The compiled `xsvisor` CLI that the host suites spawn, as users run it.
 *
 * `npm test` builds dist/ before it runs any suite, so every suite spawns
 * the same build: dist/host/cli/entry.js (what bin/xsvisor.js loads).
 * Going through ts-node instead would cost seconds per spawn. Running one
 * suite on its own needs `npm run build` first; XSVISOR_CLI may name
 * another compiled entry.js.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findXsnapWorker } from '../../host/xs/index.js';

/** The repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI's compiled entry: $XSVISOR_CLI, else dist/'s. Throws, saying what to run, when there is none. */
export function cliEntry(): string {
  const entry = process.env['XSVISOR_CLI'] ?? join(REPO_ROOT, 'dist', 'host', 'cli', 'entry.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: run 'npm run build' first (npm test does)`);
  return entry;
}

/**
 * Why the XS engine's tests cannot run here (no xsnap-worker, which `npm
 * install` builds), for `it`'s `skip`; false when they can. In CI a missing
 * engine is a failure, not a skip: it throws.
 */
export function xsEngineMissing(): string | false {
  try {
    findXsnapWorker();
    return false;
  } catch (e) {
    if (process.env['CI'] === 'true') throw e;
    return `no XS engine: ${(e as Error).message}`;
  }
}
