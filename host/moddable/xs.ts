/**
 * Runs the Moddable app (src/moddable/main.ts, unchanged) in Moddable's
 * XS engine on the host: an xsnap worker (host/xs) evaluates a bundle of
 * main.ts, the core and the stand-ins of this folder, on a simulated board
 * whose far ends (UART line, input, log) live here in Node. See
 * xs-entry.ts for the protocol.
 *
 * The bundle is made with esbuild: the Moddable module names resolve to
 * the stand-ins (specifiers.mjs), `xsvisor:moddable-main` to main.ts, and
 * Node modules are refused (nothing Node may reach XS).
 */

import { build, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../../src/board/index.js';
import { runXsScript, type XsMeter } from '../xs/index.js';
import { boardSource, ROOT, type RunMainOptions } from './node.js';
import { HOST_MODULES } from './specifiers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** What the app reported at its end (see xs-entry.ts). */
export interface XsAppReport {
  readonly ok: boolean;
  readonly exit?: { readonly kind: string; readonly status?: number; readonly source?: string; readonly reason?: string };
  readonly error?: string;
  readonly instret: number;
  readonly timers: { readonly set: number; readonly fired: number; readonly idleWaits: number };
}

/** Options of {@link runMainInXs}. */
export interface RunMainInXsOptions {
  readonly board: RunMainOptions['board'];
  readonly guest: RunMainOptions['guest'];
  readonly config?: RunMainOptions['config'];
  /** Ask the guest to stop after this long (default 30 s); the worker is killed 10 s later if it has not ended. */
  readonly timeoutMs?: number;
  /** Called with all output so far each time the guest writes; `send` queues input for its UART, `stop` asks the guest to stop. */
  readonly interact?: (output: string, send: (text: string) => void, stop: () => void) => void;
}

/** How a run in XS went. */
export interface RunMainInXsResult {
  /** The app's report, or null when the worker ended without one (its error says why). */
  readonly report: XsAppReport | null;
  /** The worker's error, if the script failed or the worker died. */
  readonly error: string | null;
  readonly output: string;
  readonly log: readonly string[];
  readonly board: Board;
  /** XS meter data at the end (heap slots, chunk bytes allocated, computrons). */
  readonly meter: XsMeter | null;
  readonly durationMs: number;
}

const NAMES = new RegExp(`^(${Object.keys(HOST_MODULES).map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')}|xsvisor:moddable-main)$`);

/** esbuild plugin: Moddable module names to the stand-ins, the app's entry to main.ts, no Node modules. */
const moddableHostPlugin: Plugin = {
  name: 'moddable-host',
  setup(b) {
    b.onResolve({ filter: NAMES }, (args) => ({
      path: args.path === 'xsvisor:moddable-main' ? join(ROOT, 'src', 'moddable', 'main.ts') : join(HERE, HOST_MODULES[args.path]!),
    }));
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}: code that runs under XS may not use Node modules` }],
    }));
  },
};

let cached: Promise<string> | null = null;

/** Bundles xs-entry.ts (and so main.ts) into one classic script for xsnap; built once per process. */
export function bundleMainForXs(): Promise<string> {
  cached ??= build({
    entryPoints: [join(HERE, 'xs-entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
    tsconfig: join(ROOT, 'tsconfig.json'),
    plugins: [moddableHostPlugin],
  }).then((r) => r.outputFiles[0]!.text);
  return cached;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * Runs main.ts in a fresh XS machine on the board, feeding the guest's
 * UART from `interact`, and resolves when the app has reported its end
 * (or the worker failed). Never rejects for what happens in XS.
 */
export async function runMainInXs(options: RunMainInXsOptions): Promise<RunMainInXsResult> {
  const { text, board } = boardSource(options.board);
  const guest = typeof options.guest === 'string' ? new Uint8Array(readFileSync(join(ROOT, options.guest))) : options.guest;
  const guestName = 'guest.elf';
  const code = await bundleMainForXs();

  let output = '';
  const log: string[] = [];
  let partial = '';
  let input: number[] = [];
  let stop = false;
  let report: XsAppReport | null = null;
  let wake: (() => void) | null = null;

  const send = (s: string): void => {
    for (let i = 0; i < s.length; i++) input.push(s.charCodeAt(i) & 0xff);
    wake?.();
  };
  const answer = (): Uint8Array => {
    const a = Uint8Array.from([stop ? 1 : 0, ...input]);
    input = [];
    return a;
  };
  const requestStop = (): void => {
    stop = true;
    wake?.();
  };
  const stopTimer = setTimeout(requestStop, options.timeoutMs ?? 30_000);

  const result = await runXsScript(code, {
    timeoutMs: (options.timeoutMs ?? 30_000) + 10_000,
    stdout: 'ignore',
    onCommand: async (request: Uint8Array) => {
      const op = String.fromCharCode(request[0] ?? 0);
      const payload = request.subarray(1);
      switch (op) {
        case 'S':
          return JSON.stringify({ boardText: text, boardFile: `boards/${board.name}.json`, guestName, config: options.config ?? {} });
        case 'R': {
          const name = new TextDecoder().decode(payload);
          return name === guestName ? Uint8Array.from([1, ...guest]) : Uint8Array.from([0]);
        }
        case 'T':
          output += latin1(payload);
          options.interact?.(output, send, requestStop);
          return answer();
        case 'P':
          return answer();
        case 'W': {
          const ms = Number(new TextDecoder().decode(payload));
          if (input.length === 0 && !stop && ms > 0) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, ms);
              wake = (): void => {
                clearTimeout(t);
                resolve();
              };
            });
            wake = null;
          }
          return answer();
        }
        case 'L': {
          partial += new TextDecoder().decode(payload);
          const lines = partial.split('\n');
          partial = lines.pop()!;
          log.push(...lines);
          return undefined;
        }
        case 'X':
          report = JSON.parse(new TextDecoder().decode(payload)) as XsAppReport;
          return undefined;
        default:
          return undefined;
      }
    },
  });
  clearTimeout(stopTimer);
  return { report, error: result.error, output, log, board, meter: result.meter, durationMs: result.durationMs };
}
