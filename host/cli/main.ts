/**
 * `xsvisor`: the command-line front end on Node.
 *
 * Owns what a command does: reads the board file and the image, builds the
 * VM with the Node backends (terminal, TCP or pty serial port, clock,
 * scheduler, the board's simulated pins), serves the live board view when
 * asked (`--view`), runs the VM with the driver, and turns the way it
 * ended into the process's exit status and messages (see {@link EXIT} and
 * `helpText()` for the statuses). Resolves with the status; the entry
 * point exits with it.
 */

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BoardError, formatSize, type Board } from '../../src/board/index.js';
import { ImageError } from '../../src/loader/index.js';
import { FaultWatch, formatTraceStats, runVm, TraceBuffer, VirtVm, VmConfigError, VmTracer, type DataImage, type VmExit, type VmFault } from '../../src/monitor/index.js';
import { BoardFileError, loadBoardFile, loadBoardPath } from '../board-file.js';
import { awaitClient, SerialBackendError, startSerialBackend, type StartedSerialBackend } from '../serial/index.js';
import { createNodeClock } from '../node/clock.js';
import { createNodeScheduler } from '../node/scheduler.js';
import { TerminalSerial, type TerminalInput, type TerminalOutput } from '../node/terminal-serial.js';
import { BoardPinsError, BoardView, BoardViewError, ConsoleMirror, SimulatedBoardPins } from '../view/index.js';
import { DEFAULT_RAM, EXIT, helpText, isBoardPath, parseArgs, UsageError, type RunOptions } from './args.js';
import { runXsCommand } from '../xs-engine/command.js';
import { runMonitorCommand } from '../monitor/run.js';
import { tagLines } from '../report-lines.js';
import { runHilCommand } from '../hil/command.js';
import { checkSnapshotTarget, loadSnapshotFile, saveSnapshotFile } from '../snapshot-file.js';
import { GDB_KILL, GdbServerError, startGdbServer, type GdbServer } from '../gdb/index.js';
import { stuckMessage } from './stuck.js';
import { ProgressDisplay } from '../progress.js';

/** What `main` works with; the entry point passes the process's own. */
export interface MainOptions {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  /** The package's root directory (holds package.json and boards/). */
  readonly packageRoot: string;
  readonly stdin: TerminalInput;
  readonly stdout: TerminalOutput & { write(text: string): boolean; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): boolean; readonly isTTY?: boolean };
  /** Milliseconds between progress updates (host/progress.ts); default its own. */
  readonly progressIntervalMs?: number;
  /** Called with a cleanup to run if the process is killed while the terminal is in raw mode. */
  onSignal?(stop: (signal: string) => void): () => void;
}

/** The version in package.json, or `unknown`. */
export function packageVersion(root: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs one command line; resolves with the exit status. Never rejects: unexpected errors give {@link EXIT.INTERNAL}. */
export async function main(options: MainOptions): Promise<number> {
  let progress: ProgressDisplay | null = null;
  const err = (text: string): void => {
    options.stderr.write(tagLines('xsvisor: ', text));
  };
  try {
    let command;
    try {
      command = parseArgs(options.argv);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      err(e.message);
      options.stderr.write("Try 'xsvisor --help' for more information.\n");
      return EXIT.USAGE;
    }
    if (command.kind === 'help') {
      options.stdout.write(helpText());
      return 0;
    }
    if (command.kind === 'version') {
      options.stdout.write(`xsvisor ${packageVersion(options.packageRoot)}\n`);
      return 0;
    }
    if (command.kind === 'hil') return await runHilCommand({ argv: command.argv, stdout: options.stdout, stderr: options.stderr, onSignal: options.onSignal });
    // Progress of a long run (--progress, --no-progress; host/progress.ts); the run's own messages pass through it.
    const o = command.options;
    progress = new ProgressDisplay({
      mode: o.progress,
      stderr: options.stderr,
      consoleOnTerminal: options.stdout.isTTY === true && (o.config !== null || o.serial === null || o.serial.kind === 'stdio'),
      label: o.config ?? o.image,
      intervalMs: options.progressIntervalMs,
    });
    const shown = progress;
    options = { ...options, stderr: { write: (text: string) => shown.write(text), isTTY: options.stderr.isTTY } };
    // --trace: the lines go to stderr or --trace-file, in chunks, flushed before --stats and at the end (docs/trace.md).
    const trace = openTraceOutput(command.options, options.stderr, err);
    if (trace === null) return EXIT.CANT_CREATE;
    try {
      return await run(options, command.options, err, trace, progress);
    } finally {
      trace.close();
    }
  } catch (e) {
    err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.INTERNAL;
  } finally {
    progress?.stop();
  }
}

async function run(options: MainOptions, opts: RunOptions, err: (text: string) => void, trace: TraceOutput, progress: ProgressDisplay): Promise<number> {
  // Before anything runs: a snapshot that cannot be saved must not cost the run first.
  const unwritable = opts.snapshotSave === null ? null : checkSnapshotTarget(opts.snapshotSave, err);
  if (unwritable !== null) return unwritable;
  // Several VMs (--config), or one with an instruction-count clock (--deterministic, --icount): the monitor (host/monitor).
  if (opts.engine === 'node' && (opts.config !== null || opts.deterministic || opts.icount !== null)) {
    return runMonitorCommand({
      packageRoot: options.packageRoot,
      config: opts.config,
      image: opts.config === null ? opts.image : null,
      board: opts.board,
      ram: opts.ram,
      serial: opts.serial,
      deterministic: opts.deterministic,
      icount: opts.icount,
      firmware: opts.firmware,
      append: opts.append,
      dtb: opts.dtb,
      loads: opts.loads,
      maxInsns: opts.maxInsns,
      timeout: opts.timeout,
      stats: opts.stats,
      trace: trace.buffer === null ? null : { categories: opts.trace, buffer: trace.buffer },
      gdb: opts.gdb,
      snapshotSave: opts.snapshotSave,
      snapshotLoad: opts.snapshotLoad,
      tier: opts.tier,
      producer: packageVersion(options.packageRoot),
      stdin: options.stdin,
      stdout: options.stdout,
      stderr: options.stderr,
      onSignal: options.onSignal,
      progress,
    });
  }
  // The board.
  let board: Board;
  try {
    board = isBoardPath(opts.board) ? loadBoardPath(opts.board) : loadBoardFile(options.packageRoot, opts.board);
  } catch (e) {
    if (e instanceof BoardFileError || e instanceof BoardError) {
      err(e.message);
      return EXIT.BAD_INPUT;
    }
    throw e;
  }
  const boardFile = isBoardPath(opts.board) ? opts.board : `boards/${opts.board}.json`;
  if (board.platform !== 'host' || board.uart0.kind !== 'host') {
    err(`${boardFile}: $.platform: board '${board.name}' is for ${board.platform}; this command runs "host" boards only`);
    return EXIT.BAD_INPUT;
  }
  const serial = opts.serial ?? board.uart0.serial;
  const ram = opts.ram ?? DEFAULT_RAM;
  if (ram > board.ramBudget) {
    err(`--ram ${formatSize(ram)} does not fit board '${board.name}' (ramBudget ${formatSize(board.ramBudget)})`);
    options.stderr.write("Try 'xsvisor --help' for more information.\n");
    return EXIT.USAGE;
  }

  // The image, the device tree given (--dtb) and the data images (--load).
  const image = readInput(opts.image, 'the image', err);
  if (image === null) return EXIT.BAD_INPUT;
  const dtb = opts.dtb === null ? undefined : readInput(opts.dtb, 'the device tree (--dtb)', err);
  if (dtb === null) return EXIT.BAD_INPUT;
  const loads: DataImage[] = [];
  for (const l of opts.loads) {
    const bytes = readInput(l.file, `--load ${l.file}@0x${l.addr.toString(16)}`, err);
    if (bytes === null) return EXIT.BAD_INPUT;
    loads.push({ name: l.file, addr: l.addr, bytes });
  }

  // The board's GPIO lines on simulated pins, by name: the LED the view lights, the button it presses.
  let pins: SimulatedBoardPins;
  try {
    pins = new SimulatedBoardPins({ lines: board.gpioLines });
  } catch (e) {
    if (!(e instanceof BoardPinsError)) throw e;
    err(`${boardFile}: ${e.message}`);
    return EXIT.BAD_INPUT;
  }

  // UART0's port: the terminal, a TCP server or a pty, or nothing.
  let vm: VirtVm | null = null;
  let stopXs: ((reason: string) => void) | null = null; // with --engine xs, while the run lasts
  let backend: StartedSerialBackend | null = null;
  // Ctrl-A r (the terminal, or --serial mon:...): boot the guest afresh, as a board's reset does; refused once the VM is closed.
  const restartGuest = (): void => {
    try {
      vm?.restart();
      if (vm !== null) err('guest restarted (Ctrl-A r)');
    } catch (e) {
      if (!(e instanceof VmConfigError)) throw e;
    }
  };
  if (serial.kind === 'tcp' || serial.kind === 'pty') {
    try {
      backend = await startSerialBackend(serial, {
        onConnect: (who) => err(`UART0: ${who} connected`),
        onDisconnect: (who) => err(`UART0: ${who} disconnected`),
        onEscape: !opts.serialEscapes ? undefined : (key) => {
          if (key === 0x72 /* r */) restartGuest();
          else if (key === 0x78 /* x */) vm?.stop('quit');
        },
      });
    } catch (e) {
      if (!(e instanceof SerialBackendError)) throw e;
      err(`UART0: ${e.message}`);
      return EXIT.UNAVAILABLE;
    }
    if (!backend.waits) err(backend.banner); // else once the wait begins (awaitClient)
  }
  const clock = createNodeClock();
  const scheduler = createNodeScheduler();
  const terminal = serial.kind === 'stdio'
    ? new TerminalSerial({
      input: options.stdin,
      output: options.stdout,
      onQuit: () => (vm === null ? stopXs?.('quit') : vm.stop('quit')),
      // The reader went away (EPIPE): end as a process killed by SIGPIPE would, quietly.
      onOutputError: () => (vm === null ? stopXs?.('SIGPIPE') : vm.stop('SIGPIPE')),
      onEscape: (key) => key === 0x72 /* r */ && vm !== null && (restartGuest(), true),
      escapeHelp: 'C-a r    restart the guest\n',
    })
    : null;
  // With --view, the console is mirrored for the page: UART0 through a tee in front of its port, HTIF's console too.
  const mirror = opts.view ? new ConsoleMirror() : null;
  const port = terminal?.factory ?? backend?.factory;
  if (opts.engine === 'xs') {
    // The same port, board and image; the VM is built and run in an xsnap worker (host/xs-engine).
    let r;
    try {
      // tcp:PORT without nowait: the guest and --timeout start when UART0's client connects (QEMU's server,wait=on).
      const signalled = await awaitClient(backend, options.onSignal, err);
      if (signalled !== null) return statusOf({ kind: 'stopped', reason: signalled }, opts, err);
      r = await runXsCommand({
        image,
        imageName: opts.image,
        boardPath: isBoardPath(opts.board) ? opts.board : join(options.packageRoot, boardFile),
        boardFile,
        ramSize: ram,
        tier: opts.tier,
        clock: opts.deterministic ? 'deterministic' : opts.icount ?? 'wall',
        firmware: opts.firmware,
        bootargs: opts.append,
        dtb: dtb === undefined ? null : { name: opts.dtb!, bytes: dtb },
        loads,
        maxInsns: opts.maxInsns,
        timeout: opts.timeout,
        port,
        onConsoleOutput: terminal === null ? undefined : (b: number) => terminal.emitByte(b),
        onSignal: options.onSignal,
        progress,
        setStop: (stop) => {
          stopXs = stop;
        },
        err,
      });
    } finally {
      terminal?.close();
      if (terminal !== null) await terminal.flush();
      if (backend !== null) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        await backend.close();
      }
    }
    if (r.kind === 'refused') return r.why === 'bad-input' ? EXIT.BAD_INPUT : r.why === 'unavailable' ? EXIT.UNAVAILABLE : EXIT.INTERNAL;
    if (opts.stats) writeStats(options.stderr, r.instret, r.seconds);
    if (r.fault !== null) return stuck(r.fault, opts, image, err);
    return statusOf(r.exit, opts, err);
  }
  // --trace and --stats watch the VM through an observer (src/monitor/trace.ts); without them it has none and pays nothing.
  const tracer = opts.trace.length > 0 || opts.stats ? new VmTracer({ trace: opts.trace, sink: trace.buffer?.sink }) : null;
  try {
    vm = new VirtVm({
      image,
      imageName: opts.image,
      tier: opts.tier,
      observe: tracer ?? undefined,
      ramSize: ram,
      board,
      clock,
      firmware: opts.firmware,
      bootargs: opts.append ?? undefined,
      dtb,
      dtbName: opts.dtb ?? undefined,
      loads,
      serial: mirror === null ? port : mirror.tee(port),
      pins: pins.wire,
      onConsoleOutput: terminal === null && mirror === null ? undefined : (b: number) => {
        terminal?.emitByte(b);
        mirror?.push(b);
      },
    });
  } catch (e) {
    terminal?.close();
    await backend?.close();
    if (e instanceof ImageError || e instanceof VmConfigError) {
      err(e.message);
      return EXIT.BAD_INPUT;
    }
    throw e;
  }
  for (const w of vm.image.warnings) err(`warning: ${w}`);
  if (opts.snapshotLoad !== null) {
    // Resume instead of booting: refused (65, the VM closed) unless the snapshot fits this image, board and RAM.
    const refused = loadSnapshotFile(vm, opts.snapshotLoad, err);
    if (refused !== null) {
      terminal?.close();
      await backend?.close();
      return refused;
    }
  }

  let view: BoardView | null = null;
  if (mirror !== null) {
    view = new BoardView({ pins, console: mirror, boardName: board.name });
    try {
      err(`board view at ${await view.start()}`);
    } catch (e) {
      vm.close();
      terminal?.close();
      await backend?.close();
      await view.close();
      if (!(e instanceof BoardViewError)) throw e;
      err(e.message);
      return EXIT.UNAVAILABLE;
    }
  }

  // --gdb: the stub takes over the VM's run (src/debug/vm-debugger.ts); the driver drives it unchanged.
  let gdb: GdbServer | null = null;
  if (opts.gdb !== null) {
    const g = opts.gdb;
    try {
      gdb = await startGdbServer({ vm, port: g.port, host: g.host, wait: g.wait, log: err, onKill: () => vm?.stop(GDB_KILL) });
    } catch (e) {
      vm.close();
      terminal?.close();
      await backend?.close();
      await view?.close();
      if (!(e instanceof GdbServerError)) throw e;
      err(e.message);
      return EXIT.UNAVAILABLE;
    }
    err(`gdb listening on ${gdb.address}${g.wait ? ' (the guest waits for gdb)' : ''}`);
  }

  // tcp:PORT without nowait: the guest and --timeout start when UART0's client connects (QEMU's
  // server,wait=on); a signal meanwhile stops the VM before its first instruction.
  const signalled = await awaitClient(backend, options.onSignal, err);
  if (signalled !== null) vm.stop(signalled);
  const started = clock.now();
  const timer = opts.timeout === null ? null : setTimeout(() => vm?.stop('timeout'), opts.timeout * 1000);
  const releaseSignals = options.onSignal?.((signal) => vm?.stop(signal)) ?? null;
  let exit: VmExit | null = null;
  let saveStatus: number | null = null;
  // The monitor's no-progress and trap-storm rules watch the one VM too (src/monitor/fault.ts).
  let fault: VmFault | null = null;
  const running = vm;
  progress.start(() => running.instret);
  try {
    exit = await runVm({
      vm, scheduler, maxInstructions: opts.maxInsns,
      faults: { watch: new FaultWatch(), vm: running, onFault: (f) => { fault = f; } },
    });
    if (opts.snapshotSave !== null) saveStatus = saveSnapshotFile(vm, opts.snapshotSave, packageVersion(options.packageRoot), err);
  } finally {
    progress.stop();
    if (timer !== null) clearTimeout(timer);
    releaseSignals?.();
    await gdb?.close();
    vm.close();
    terminal?.close();
    if (terminal !== null) await terminal.flush();
    if (backend !== null) {
      // The backend hands output to its stream once per event-loop turn: let the last turn happen before closing.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await backend.close();
    }
    // Last, so the page gets the guest's final output before it is told why the run ended.
    await view?.close(exit === null ? 'stopped' : endedBecause(exit));
  }
  const seconds = (clock.now() - started) / 1e6;

  trace.buffer?.flush();
  if (opts.stats) writeStats(options.stderr, vm.instret, seconds);
  if (opts.stats && tracer !== null) for (const line of formatTraceStats(tracer.stats)) options.stderr.write(`xsvisor: ${line}\n`);
  const status = fault !== null ? stuck(fault, opts, image, err) : statusOf(exit, opts, err);
  return saveStatus ?? status;
}

/** Reads an input file; null (after saying why, naming `what`) when it cannot be read. */
function readInput(path: string, what: string, err: (text: string) => void): Uint8Array | null {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(e);
    err(`${path}: cannot read ${what}: ${why}`);
    return null;
  }
}

/** A single image stopped by the fault rules: the cause, the likely fix and the registers; {@link EXIT.GUEST_STUCK}. */
function stuck(fault: { readonly kind: string; readonly reason: string; readonly dump: VmFault['dump'] }, opts: RunOptions, image: Uint8Array, err: (text: string) => void): number {
  for (const line of stuckMessage({ ...fault, imageName: opts.image, image, firmware: opts.firmware })) err(line);
  return EXIT.GUEST_STUCK;
}

/** Where --trace lines go: a buffer in front of stderr or the --trace-file (null without --trace). */
interface TraceOutput {
  readonly buffer: TraceBuffer | null;
  /** Flushes the buffer and closes the file. */
  close(): void;
}

/** Opens the --trace output; null (after saying why) when the --trace-file cannot be created. */
function openTraceOutput(opts: RunOptions, stderr: MainOptions['stderr'], err: (text: string) => void): TraceOutput | null {
  if (opts.trace.length === 0) return { buffer: null, close: () => {} };
  if (opts.traceFile === null) {
    const buffer = new TraceBuffer({ write: (text) => void stderr.write(text) });
    return { buffer, close: () => buffer.flush() };
  }
  let fd: number;
  try {
    fd = openSync(opts.traceFile, 'w');
  } catch (e) {
    err(`--trace-file ${opts.traceFile}: cannot create it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return null;
  }
  const buffer = new TraceBuffer({ write: (text) => void writeSync(fd, text) });
  return {
    buffer,
    close: () => {
      buffer.flush();
      closeSync(fd);
    },
  };
}

/** --stats: instructions retired, wall time (of the run loop) and MIPS, on stderr. */
function writeStats(stderr: MainOptions['stderr'], retired: number, seconds: number): void {
  stderr.write(
    `xsvisor: instructions retired: ${retired}\n` +
    `xsvisor: wall time: ${seconds.toFixed(3)} s\n` +
    `xsvisor: MIPS: ${(seconds > 0 ? retired / seconds / 1e6 : 0).toFixed(2)}\n`,
  );
}

/** How the run ended, in a few words for the board view's status line. */
function endedBecause(exit: VmExit): string {
  switch (exit.kind) {
    case 'exit': return `guest exited (status ${exit.status})`;
    case 'limit': return `stopped after ${exit.instructions} instructions`;
    case 'stopped': return exit.reason === 'quit' ? 'quit' : `stopped (${exit.reason})`;
    case 'fatal': return 'stopped by an internal error';
    default: return 'stopped';
  }
}

/** The process status for how the run ended, with a message on stderr for anything but a guest exit. */
function statusOf(exit: VmExit, opts: RunOptions, err: (text: string) => void): number {
  switch (exit.kind) {
    case 'exit': {
      // Statuses are 8 bits; a non-zero guest status must never read as success.
      const s = exit.status & 0xff;
      return s === 0 && exit.status !== 0 ? 1 : s;
    }
    case 'limit':
      err(`stopped after ${exit.instructions} instructions (--max-insns)`);
      return EXIT.MAX_INSNS;
    case 'stopped':
      if (exit.reason === 'timeout') {
        err(`timed out after ${opts.timeout} s (--timeout)`);
        return EXIT.TIMEOUT;
      }
      if (exit.reason === 'quit') {
        err('terminated (Ctrl-A x)');
        return 0;
      }
      if (exit.reason === 'SIGPIPE') return 128 + 13;
      if (exit.reason === GDB_KILL) {
        err('killed by gdb');
        return 0;
      }
      if (exit.reason === 'SIGTERM' || exit.reason === 'SIGHUP' || exit.reason === 'SIGINT') {
        err(`terminated by ${exit.reason}`);
        return 128 + (exit.reason === 'SIGHUP' ? 1 : exit.reason === 'SIGINT' ? 2 : 15);
      }
      err(`stopped: ${exit.reason}`);
      return EXIT.INTERNAL;
    case 'fatal':
      err(`internal error: ${exit.reason}`);
      return EXIT.INTERNAL;
    default:
      err(`internal error: the run ended with '${exit.kind}'`);
      return EXIT.INTERNAL;
  }
}
