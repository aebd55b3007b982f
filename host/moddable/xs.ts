/**
 * Runs the Moddable app (src/moddable/main.ts, unchanged) in Moddable's
 * XS engine on the host: an xsnap worker (host/xs) evaluates a bundle of
 * main.ts, the core and the stand-ins of this folder, on a simulated board
 * whose far ends (UART line, input, log) live here in Node, through the
 * XS bridge (host/xs/host.ts and bridge.ts, one protocol for every script
 * under XS). The bundle (host/xs/bundle.ts) resolves the Moddable module
 * names to the stand-ins (specifiers.mjs) and `xsvisor:moddable-main` to main.ts.
 */

import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../../src/board/index.js';
import type { SerialPortCallbacks, SerialPortFactory } from '../../src/ports/index.js';
import { bundleForXs } from '../xs/bundle.js';
import { XsBridgeHost } from '../xs/host.js';
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
  /** With a configuration in flash: the run's status and each VM's end. */
  readonly config?: { readonly status: number; readonly vms: readonly { readonly name: string; readonly kind: string; readonly status?: number; readonly restarts: number }[] } | null;
}

/** Options of {@link runMainInXs}. */
export interface RunMainInXsOptions {
  readonly board: RunMainOptions['board'];
  readonly guest: RunMainOptions['guest'];
  readonly config?: RunMainOptions['config'];
  /** More resources in flash by name (a monitor configuration `vms.json` and its images); they cross in SETUP. */
  readonly resources?: RunMainOptions['resources'];
  /** Ask the guest to stop after this long (default 30 s); the worker is killed 10 s later if it has not ended. */
  readonly timeoutMs?: number;
  /** Called with all output so far each time the guest writes; `send` queues input for its UART, `stop` asks the guest to stop. */
  readonly interact?: (output: string, send: (text: string) => void, stop: () => void) => void;
  /** Called each time the worker blocks in its idle wait (the guest sleeps), with `interact`'s `send` and `stop` and the output so far. */
  readonly onIdle?: (output: string, send: (text: string) => void, stop: () => void) => void;
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

/** esbuild plugin: Moddable module names to the stand-ins, the app's entry to main.ts. */
const moddableHostPlugin: Plugin = {
  name: 'moddable-host',
  setup(b) {
    b.onResolve({ filter: NAMES }, (args) => ({
      path: args.path === 'xsvisor:moddable-main' ? join(ROOT, 'src', 'moddable', 'main.ts') : join(HERE, HOST_MODULES[args.path]!),
    }));
  },
};

/** Bundles xs-entry.ts (and so main.ts) into one classic script for xsnap; built once per process. */
export function bundleMainForXs(): Promise<string> {
  return bundleForXs({ entry: join(HERE, 'xs-entry.ts'), tsconfig: join(ROOT, 'tsconfig.json'), plugins: [moddableHostPlugin] });
}

/**
 * Runs main.ts in a fresh XS machine on the board, feeding the guest's
 * UART from `interact`, and resolves when the app has reported its end
 * (or the worker failed). Never rejects for what happens in XS.
 */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return out;
}

export async function runMainInXs(options: RunMainInXsOptions): Promise<RunMainInXsResult> {
  const { text, board } = boardSource(options.board);
  const guest = typeof options.guest === 'string' ? new Uint8Array(readFileSync(join(ROOT, options.guest))) : options.guest;
  const guestName = 'guest.elf';
  const code = await bundleMainForXs();

  let output = '';
  const log: string[] = [];
  let partial = '';
  const input: number[] = [];
  let callbacks: SerialPortCallbacks | null = null;
  let told = false;
  // The far end of the guest's UART: what the guest writes goes to `output`, and `interact` sees it once per batch.
  const port: SerialPortFactory = (cb) => {
    callbacks = cb;
    cb.onWritable?.(0x7fffffff);
    return {
      read: () => input.shift(),
      write: (byte: number) => {
        output += String.fromCharCode(byte);
        if (told) return;
        told = true;
        queueMicrotask(() => {
          told = false;
          options.interact?.(output, send, requestStop);
        });
      },
      close: () => {
        callbacks = null;
      },
    };
  };
  const send = (text: string): void => {
    for (let i = 0; i < text.length; i++) input.push(text.charCodeAt(i) & 0xff);
    callbacks?.onReadable?.(input.length);
  };
  const bridge = new XsBridgeHost({
    setup: {
      boardText: text, boardFile: `boards/${board.name}.json`, guestName, config: options.config ?? {},
      // Latin-1 text, a byte per character: JSON carries it unchanged to the worker, which makes bytes of it again.
      resources: Object.fromEntries(Object.entries(options.resources ?? {}).map(([name, bytes]) => [name, latin1(bytes)])),
    },
    image: guest,
    port,
    onLog: (t) => {
      partial += t;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      log.push(...lines);
    },
    onIdle: () => options.onIdle?.(output, send, requestStop),
  });
  const requestStop = (): void => bridge.stop('stopped by the host');
  const stopTimer = setTimeout(requestStop, options.timeoutMs ?? 30_000);

  const result = await runXsScript(code, {
    timeoutMs: (options.timeoutMs ?? 30_000) + 10_000,
    stdout: 'ignore',
    onCommand: (request: Uint8Array) => bridge.serve(request),
  });
  bridge.close();
  const report = bridge.report as XsAppReport | null;
  clearTimeout(stopTimer);
  return { report, error: result.error, output, log, board, meter: result.meter, durationMs: result.durationMs };
}
