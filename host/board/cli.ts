/**
 * `npm run board:build` and `npm run board:sim`: the firmware built with
 * the real Moddable SDK, and run on an emulated Pico (rp2040js) with its
 * console on the terminal, a pty or TCP, and its pins in the live board
 * view.
 *
 * Owns the two command lines, their messages and exit statuses; the work
 * is in sdk.ts, firmware.ts and session.ts.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSerialSpec, startSerialBackend, type StartedSerialBackend } from '../serial/index.js';
import { TerminalSerial } from '../node/terminal-serial.js';
import { BoardView, ConsoleMirror } from '../view/index.js';
import { buildFirmware, FirmwareError, planConfigFlash, readBoardFile, type FirmwareInfo } from './firmware.js';
import { bootromModule, BoardSdkError, findBoardSdk, ROOT } from './sdk.js';
import { Uf2Error } from './rp2040.js';
import { PicoSession, type PicoOutcome } from './session.js';

/** Exit statuses, as `xsvisor run` uses them. */
export const BOARD_EXIT = Object.freeze({ OK: 0, USAGE: 64, DATA: 65, UNAVAILABLE: 69, SOFTWARE: 70, TIMEOUT: 124 });

const BUILD_USAGE = `usage: npm run board:build -- --board NAME [--guest IMAGE] [--out DIR]
       npm run board:build -- --config FILE [--out DIR]

  --board NAME   boards/NAME.json (pico, esp32-devkitc) or a board file's path
  --guest IMAGE  the guest image to build in (default guests/bin/demo.elf)
  --config FILE  a monitor configuration (as xsvisor run --config): it and the
                 images it names go into flash, and the board runs its VMs;
                 its "board" is the board built for (docs/moddable.md)
  --out DIR      where the outputs go (default dist/board/NAME/)

Uses the Moddable SDK at $MODDABLE, or else the vendored SDKs at
$XSVISOR_VENDOR (copied to $XSVISOR_BOARD_CACHE, default
node_modules/.cache/xsvisor-board/, where their tools are built once).
A Pico gets its whole firmware (xsvisor.uf2); an ESP32 every stage before
ESP-IDF's C compile unless ESP-IDF is set up (IDF_PATH).
`;

const SIM_USAGE = `usage: npm run board:sim -- [--board NAME] [--guest IMAGE | --config FILE] [--rebuild] [--serial SPEC] [--view] [--sim-seconds N]

  --board NAME     an rp2040 board (default pico)
  --guest IMAGE    build the firmware with this guest first
  --config FILE    build the firmware with this monitor configuration first
  --rebuild        build the firmware again even if dist/board/NAME/ has one
  --serial SPEC    the guest's console: stdio (default), none, pty, tcp:PORT,
                   mon:pty or mon:tcp:PORT (Ctrl-A x quits there too)
  --view           serve the live board view (LED, button, console) on 127.0.0.1
  --sim-seconds N  stop after N seconds of simulated time (exit 124)

The firmware runs in rp2040js at 125 MHz from the RP2040 boot ROM of
$XSVISOR_VENDOR; it runs slower than real time. Ctrl-A x quits.
`;

class UsageError extends Error {}

interface Io {
  out(text: string): void;
  err(text: string): void;
}

function parseArgs(argv: readonly string[], flags: readonly string[], values: readonly string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (flags.includes(key) && eq < 0) out.set(key, true);
    else if (values.includes(key)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${key} needs a value`);
      out.set(key, v);
    } else throw new UsageError(`unknown argument '${a}'`);
  }
  return out;
}

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

/** What a user without an SDK is told. */
export function sdkHelp(command: string): string {
  return [
    `${command}: no Moddable SDK: set $MODDABLE (and the Pico SDK's PICO_SDK_DIR ...), or $XSVISOR_VENDOR.`,
    'Either set the Moddable SDK up as its guide says (documentation/devices/pico.md), for example with xs-dev:',
    '  npm install --global xs-dev && xs-dev setup && xs-dev setup --device pico',
    "or point $XSVISOR_VENDOR at the vendored SDKs (Moddable 8.2.3, pico-sdk 2.2.0, pico-extras, picotool,",
    'the RP2040 boot ROM), which are copied and built once under node_modules/.cache/xsvisor-board/:',
    '  XSVISOR_VENDOR=/path/to/vendor npm run board:build -- --board pico',
    'That needs Debian packages: build-essential pkg-config cmake libglib2.0-dev gcc-arm-none-eabi',
    'libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib. See docs/moddable.md.',
    '',
  ].join('\n');
}

async function build(board: string | undefined, guest: string | undefined, outDir: string | undefined, io: Io, config?: string): Promise<FirmwareInfo> {
  // Refused before the SDK is looked for: a bad board, or a configuration that does not fit.
  if (config !== undefined) planConfigFlash(config, board);
  else readBoardFile(board ?? '');
  const sdk = await findBoardSdk(process.env, (line) => io.err(`board:build: ${line}\n`));
  io.err(`board:build: Moddable SDK at ${sdk.moddable} (${sdk.source === 'vendor' ? 'vendored, stock 8.2.3' : '$MODDABLE'})\n`);
  const info = await buildFirmware(sdk, { board, guest, config, outDir, say: (line) => io.err(`board:build: ${line}\n`) });
  const dir = outDir ?? join(ROOT, 'dist', 'board', info.board);
  const at = (f: string): string => relative(process.cwd(), join(dir, f)) || f;
  io.err(`board:build: ${info.preloads.length} modules preloaded, xsl ${info.xslInstances} instances, ${(info.ms / 1000).toFixed(0)} s\n`);
  if (info.kind === 'uf2') {
    const size = statSync(join(dir, info.files['uf2']!)).size;
    io.out(`${at(info.files['uf2']!)}\n`);
    io.err(`board:build: firmware ${at(info.files['uf2']!)} (${mib(size)}` +
      (info.sizes ? `; flash ${mib(info.sizes.flash)}, static RAM ${mib(info.sizes.ram)}` : '') + ')\n');
  } else {
    for (const f of Object.values(info.files)) io.out(`${at(f)}\n`);
    io.err(`board:build: stopped before ${info.stoppedBefore}\n`);
  }
  return info;
}

/** `board:build`: resolves with the exit status. */
export async function boardBuildCommand(argv: readonly string[], io: Io): Promise<number> {
  try {
    const a = parseArgs(argv, ['--help', '-h'], ['--board', '--guest', '--out', '--config']);
    if (a.has('--help') || a.has('-h')) {
      io.out(BUILD_USAGE);
      return BOARD_EXIT.OK;
    }
    const board = a.get('--board') as string | undefined;
    const config = a.get('--config') as string | undefined;
    if (board === undefined && config === undefined) throw new UsageError('which board? (--board NAME, or --config FILE)');
    const guest = a.get('--guest') as string | undefined;
    if (guest !== undefined && config !== undefined) throw new UsageError('--guest and --config do not go together: the configuration names its images');
    const out = a.get('--out') as string | undefined;
    await build(board, guest === undefined ? undefined : resolve(guest), out === undefined ? undefined : resolve(out), io, config);
    return BOARD_EXIT.OK;
  } catch (e) {
    return fail('board:build', e, io, BUILD_USAGE);
  }
}

function fail(command: string, e: unknown, io: Io, usage: string): number {
  if (e instanceof UsageError) {
    io.err(`${command}: ${e.message}\n\n${usage}`);
    return BOARD_EXIT.USAGE;
  }
  if (e instanceof BoardSdkError && e.reason === 'no-sdk') {
    io.err(sdkHelp(command));
    return BOARD_EXIT.UNAVAILABLE;
  }
  if (e instanceof BoardSdkError && (e.reason === 'no-toolchain' || e.reason === 'no-vendor')) {
    io.err(`${command}: ${e.message}\n`);
    return BOARD_EXIT.UNAVAILABLE;
  }
  if (e instanceof FirmwareError && e.reason !== 'build-failed') {
    io.err(`${command}: ${e.message}\n`);
    return e.reason === 'no-board' || e.reason === 'not-a-device' ? BOARD_EXIT.USAGE : BOARD_EXIT.DATA;
  }
  if (e instanceof Uf2Error) {
    io.err(`${command}: ${e.message}\n`);
    return BOARD_EXIT.DATA;
  }
  io.err(`${command}: ${e instanceof Error ? e.message : String(e)}\n`);
  return BOARD_EXIT.SOFTWARE;
}

/** Loads the RP2040 boot ROM from the vendor folder. Refuses without $XSVISOR_VENDOR. */
export async function loadBootrom(): Promise<Uint32Array> {
  const file = bootromModule();
  if (file === null) throw new BoardSdkError('no-vendor', '$XSVISOR_VENDOR', 'is not set: the emulated Pico needs the RP2040 boot ROM (rp2040-bootrom/bootrom.mjs), which no registry serves');
  const mod = (await import(pathToFileURL(file).href)) as { bootromB1: Uint32Array };
  return mod.bootromB1;
}

/** Reads a built firmware folder: the UF2 and its build-info.json. */
export function readFirmware(dir: string): { uf2: Uint8Array; info: FirmwareInfo } {
  const info = JSON.parse(readFileSync(join(dir, 'build-info.json'), 'utf8')) as FirmwareInfo;
  if (info.kind !== 'uf2') throw new FirmwareError('not-a-device', dir, `holds a ${info.platform} build without firmware (${info.kind}); board:sim runs Pico boards`);
  return { uf2: new Uint8Array(readFileSync(join(dir, info.files['uf2']!))), info };
}

/** `board:sim`: resolves with the exit status (the guest's, as `xsvisor run`). */
export async function boardSimCommand(argv: readonly string[], io: Io): Promise<number> {
  let session: PicoSession | null = null;
  let backend: StartedSerialBackend | null = null;
  let terminal: TerminalSerial | null = null;
  let view: BoardView | null = null;
  try {
    const a = parseArgs(argv, ['--help', '-h', '--rebuild', '--view'], ['--board', '--guest', '--config', '--serial', '--sim-seconds']);
    if (a.has('--help') || a.has('-h')) {
      io.out(SIM_USAGE);
      return BOARD_EXIT.OK;
    }
    const config = a.get('--config') as string | undefined;
    if (config !== undefined && a.has('--guest')) throw new UsageError('--guest and --config do not go together: the configuration names its images');
    const boardName = (a.get('--board') as string | undefined) ?? (config !== undefined ? planConfigFlash(config).boardFile.file : 'pico');
    const { name, board } = readBoardFile(boardName);
    if (board.platform !== 'rp2040') throw new UsageError(`board ${board.name} is ${board.platform}: only rp2040 boards have an emulator here (rp2040js)`);
    let serialText = (a.get('--serial') as string | undefined) ?? 'stdio';
    const escapes = serialText.startsWith('mon:');
    if (escapes) serialText = serialText.slice(4);
    const serialSpec = parseSerialSpec(serialText);
    if (serialSpec === null || (escapes && serialSpec.kind !== 'pty' && serialSpec.kind !== 'tcp')) {
      throw new UsageError(`--serial: '${String(a.get('--serial'))}' is not stdio, none, pty, tcp:PORT, mon:pty or mon:tcp:PORT`);
    }
    const simSeconds = a.get('--sim-seconds');
    const limitNs = simSeconds === undefined ? Infinity : Number(simSeconds) * 1e9;
    if (!(limitNs > 0)) throw new UsageError(`--sim-seconds: '${String(simSeconds)}' is not a positive number`);

    const dir = join(ROOT, 'dist', 'board', name);
    const guest = a.get('--guest') as string | undefined;
    if (guest !== undefined || config !== undefined || a.has('--rebuild') || !existsSync(join(dir, 'build-info.json'))) {
      await build(boardName, guest === undefined ? undefined : resolve(guest), dir, { out: () => {}, err: io.err }, config);
    } else {
      io.err(`board:sim: firmware ${relative(process.cwd(), dir)}/ of ${statSync(join(dir, 'build-info.json')).mtime.toISOString()} (--rebuild to build it again)\n`);
    }
    const { uf2, info } = readFirmware(dir);
    const bootrom = await loadBootrom();

    const mirror = a.has('--view') ? new ConsoleMirror() : null;
    let quitNow!: () => void;
    const quitting = new Promise<void>((resolveQuit) => { quitNow = resolveQuit; });
    // Ctrl-A x or a signal: also while the board still waits for its console's first client.
    const quit = (): void => {
      quitNow();
      session?.quit();
    };
    let serial;
    let connected: Promise<void> = Promise.resolve();
    if (serialSpec.kind === 'stdio') {
      terminal = new TerminalSerial({ input: process.stdin, output: process.stdout, onQuit: quit });
      serial = terminal.factory;
    } else if (serialSpec.kind === 'pty' || serialSpec.kind === 'tcp') {
      // The board is powered on when the first client opens the console, so the boot messages reach it.
      let attach!: () => void;
      connected = new Promise<void>((resolveAttach) => { attach = resolveAttach; });
      backend = await startSerialBackend(serialSpec, { onConnect: () => attach(), onEscape: escapes ? (key) => { if (key === 0x78) quit(); } : undefined });
      io.err(`${backend.banner}\nboard:sim: the Pico starts when a client opens ${backend.endpoint}\n`);
      serial = backend.factory;
    }
    const messagesOnConsole = board.uart0.kind === 'board' && board.uart0.messages;
    session = new PicoSession({
      board, uf2, bootrom, stdioUsbOut: info.stdioUsbOut, serial,
      onConsoleByte: (b) => mirror?.push(b),
      // The monitor's messages are on the console already, unless the board file keeps them off it; XS's own aborts are not.
      onUsbLine: (line) => {
        if (!messagesOnConsole || !line.startsWith('xsvisor: ')) io.err(`pico usb: ${line}\n`);
      },
    });
    if (mirror !== null) {
      view = new BoardView({ pins: session.pins, console: mirror, boardName: board.name });
      io.err(`board view at ${await view.start()}\n`);
    }
    const onSignal = (): void => quit();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await Promise.race([connected, quitting]);
    const outcome = await session.run(limitNs);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    const s = session.stats;
    io.err(`board:sim: ${(s.simNs / 1e9).toFixed(2)} s simulated in ${(s.wallMs / 1000).toFixed(1)} s (${(s.simNs / 1e6 / Math.max(1, s.wallMs)).toFixed(2)}x real time), ` +
      `${(s.cycles / 1e6).toFixed(1)} M cycles at 125 MHz\n`);
    return statusOf(outcome, io);
  } catch (e) {
    return fail('board:sim', e, io, SIM_USAGE);
  } finally {
    session?.close();
    await terminal?.flush();
    terminal?.close();
    await backend?.close();
    await view?.close();
  }
}

function statusOf(outcome: PicoOutcome, io: Io): number {
  switch (outcome.kind) {
    case 'exit':
      return outcome.status === 0 ? 0 : (outcome.status % 256) || 1;
    case 'quit':
      return BOARD_EXIT.OK;
    case 'limit':
      io.err('board:sim: --sim-seconds reached\n');
      return BOARD_EXIT.TIMEOUT;
    case 'refused':
      io.err(`board:sim: the firmware refused to start the guest: ${outcome.line}\n`);
      return BOARD_EXIT.DATA;
    case 'stopped':
      return BOARD_EXIT.SOFTWARE;
  }
}

if (process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  const [command, ...rest] = process.argv.slice(2);
  const run = command === 'build' ? boardBuildCommand(rest, io) : command === 'sim' ? boardSimCommand(rest, io) : Promise.resolve((io.err('usage: host/board/cli.ts build|sim ...\n'), BOARD_EXIT.USAGE));
  run.then((status) => process.exit(status), (e: unknown) => {
    process.stderr.write(`board: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(BOARD_EXIT.SOFTWARE);
  });
}
