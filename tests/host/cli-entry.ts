/**
 * The compiled `xsvisor` CLI that the host suites spawn, as users run it.
 *
 * `npm test` builds dist/ before it runs any suite, so every suite spawns
 * the same build: dist/host/cli/xsvisor.js, the bundle bin/xsvisor.js
 * loads. Going through ts-node instead would cost seconds per spawn.
 * Running one suite on its own needs `npm run build` first; XSVISOR_CLI
 * may name another compiled entry (entry.js or a bundle).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findXsnapWorker } from '../../host/xs/index.js';

/** The repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI's compiled entry: $XSVISOR_CLI, else dist/'s. Throws, saying what to run, when there is none. */
export function cliEntry(): string {
  const entry = process.env['XSVISOR_CLI'] ?? join(REPO_ROOT, 'dist', 'host', 'cli', 'xsvisor.js');
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

/** What a finished CLI run gave: exit status (null if killed), stdout and stderr as latin1 text. */
export interface CliResult { status: number | null; stdout: string; stderr: string }

/**
 * Runs `xsvisor run --engine ENGINE ARGS...` from the repository's root
 * with an empty stdin, and resolves when it ends. `hangMs` is a hang guard
 * only (the run is killed, status null).
 */
export function runEngine(engine: 'node' | 'xs', args: readonly string[], hangMs = 300_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), 'run', '--engine', engine, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('latin1').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), hangMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end();
  });
}
