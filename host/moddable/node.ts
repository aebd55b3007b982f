/**
 * Runs the Moddable app (src/moddable/main.ts, unchanged) under Node on a
 * simulated board.
 *
 * A module-resolution hook (hooks.mjs) maps the Moddable modules main.ts
 * imports to the stand-ins in this folder; the board set-up (device.ts)
 * provides `device`, `trace`, the resources and mc/config from a board
 * file. One app runs at a time in a process (the stand-ins are module
 * singletons, as Moddable's are).
 */

import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseBoard, type Board } from '../../src/board/index.js';
import type { MainResult, MainRun } from 'xsvisor:moddable-main';
import { setUpHostBoard, type HostBoard } from './device.js';

/** The package root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Options of {@link runMainOnNode}. */
export interface RunMainOptions {
  /** A board file name in boards/ (`pico`), or a board document (it is validated as the file would be). */
  readonly board: string | Readonly<Record<string, unknown>>;
  /** The guest image: a path (relative to the package root) or its bytes. */
  readonly guest: string | Uint8Array;
  /** More mc/config settings (e.g. `slice`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** More resources in flash by name (a monitor configuration `vms.json` and the images it names). */
  readonly resources?: Readonly<Record<string, Uint8Array>>;
  /** Stop the guest after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Called once the guest runs, to drive it (inject input, press buttons). */
  readonly script?: (session: { readonly run: MainRun; readonly host: HostBoard }) => void | Promise<void>;
}

/** How a run went. */
export interface RunMainResult {
  readonly result: MainResult;
  /** Everything the guest wrote to its UART. */
  readonly output: string;
  /** The monitor's messages (trace), one per line. */
  readonly log: readonly string[];
  readonly host: HostBoard;
  readonly board: Board;
}

let hooked = false;

/** Installs the resolve hook for the Moddable module names (once per process). */
export function registerModdableHooks(): void {
  if (hooked) return;
  register('./hooks.mjs', import.meta.url);
  hooked = true;
}

/** Reads a board: a name in boards/ or a document; returns its text and the validated board. */
export function boardSource(board: RunMainOptions['board']): { text: string; board: Board } {
  const text = typeof board === 'string' ? readFileSync(join(ROOT, 'boards', `${board}.json`), 'utf8') : JSON.stringify(board, null, 2);
  const name = typeof board === 'string' ? board : String(board['name']);
  return { text, board: parseBoard(text, `boards/${name}.json`) };
}

/**
 * Sets the host up as the board, runs main.ts's exported function and
 * resolves when the app is done (the guest ended, could not start, or
 * was stopped by the timeout).
 */
export async function runMainOnNode(options: RunMainOptions): Promise<RunMainResult> {
  registerModdableHooks();
  const { text, board } = boardSource(options.board);
  const guest = typeof options.guest === 'string' ? new Uint8Array(readFileSync(join(ROOT, options.guest))) : options.guest;
  const host = setUpHostBoard({ board, boardText: text, guest, config: options.config, resources: options.resources });
  const mainUrl = pathToFileURL(join(ROOT, 'src', 'moddable', 'main.ts')).href;
  // Imported by URL: the Node type-check must not follow it (the app is checked with Moddable's typings, src/moddable/tsconfig.json).
  const main = (await import(mainUrl) as typeof import('xsvisor:moddable-main')).default;

  let timer: NodeJS.Timeout | null = null;
  let scripted: Promise<void> = Promise.resolve();
  const result = await main({
    onStart(run: MainRun): void {
      timer = setTimeout(() => run.stop('timeout'), options.timeoutMs ?? 30_000);
      if (options.script !== undefined) scripted = Promise.resolve(options.script({ run, host }));
    },
  });
  if (timer !== null) clearTimeout(timer);
  await scripted;
  return { result, output: host.serial?.takeText() ?? '', log: host.log, host, board };
}
