/**
 * `xsvisor run --config FILE` on Node: several VMs under the monitor, and
 * `xsvisor run --deterministic IMAGE` or `--icount SHIFT|auto IMAGE`, one
 * VM with an instruction-count clock.
 *
 * Owns the host side of a monitor run: reading the configuration and the
 * images (paths relative to the configuration file), the board through
 * host/board-file.ts, the serial backends (the terminal, TCP, pty), the
 * shared console and its focus keys (Ctrl-A 1-9), the board's simulated
 * pins, the clocks (wall or instruction count), the timeout and signals,
 * the messages about faults and ends on stderr, and the exit status.
 *
 * Exit status: when the run was stopped as a whole (timeout, signal,
 * Ctrl-A x, `--max-insns`) as for a single image; otherwise the first VM
 * in configuration order that did not end with status 0 decides: its
 * guest status (modulo 256, a non-zero status never becoming 0), or
 * EX_SOFTWARE (70) for a VM stopped by a fault (71, with the likely fix,
 * for one IMAGE without a configuration). 0 when every VM exited 0.
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { BoardError, formatHostSerial, type Board, type HostSerial } from '../../src/board/index.js';
import { ImageError } from '../../src/loader/index.js';
import {
  formatRegisterDump,
  InstructionClock,
  Monitor,
  MonitorConfigError,
  parseMonitorConfig,
  SharedConsole,
  VirtVm,
  VmConfigError,
  type MonitorConfig,
  type MonitorEvent,
  type MonitorVmOptions,
  type VmConfig,
  type DataImage,
  type VmOutcome,
} from '../../src/monitor/index.js';
import { formatTraceStats, VmTracer, type TraceBuffer, type TraceCategory } from '../../src/monitor/trace.js';
import type { SerialPortFactory } from '../../src/ports/index.js';
import { BoardFileError, loadBoardFile, loadBoardPath } from '../board-file.js';
import { loadSnapshotFile, saveSnapshotFile } from '../snapshot-file.js';
import { tagLines } from '../report-lines.js';
import { EXIT, isBoardPath, type GdbOptions, type LoadSpec } from '../cli/args.js';
import { stuckMessage } from '../cli/stuck.js';
import { GDB_KILL, GdbServerError, startGdbServer, type GdbServer } from '../gdb/index.js';
import { createNodeClock } from '../node/clock.js';
import { createNodeScheduler } from '../node/scheduler.js';
import { TerminalSerial, type TerminalInput, type TerminalOutput } from '../node/terminal-serial.js';
import { SerialBackendError, startSerialBackend, type StartedSerialBackend } from '../serial/index.js';
import { BoardPinsError, SimulatedBoardPins } from '../view/index.js';

/** What the CLI hands over. */
export interface MonitorCommandOptions {
  /** The package root (holds boards/). */
  readonly packageRoot: string;
  /** The configuration file, or null to run `image` alone (`--deterministic IMAGE`). */
  readonly config: string | null;
  /** Without a configuration: the image, board (name or path), RAM and serial of the one VM. */
  readonly image: string | null;
  readonly board: string;
  readonly ram: number | null;
  readonly serial: HostSerial | null;
  /** Instruction-count clocks for every VM (also set by `"deterministic": true`). */
  readonly deterministic: boolean;
  /** `--icount SHIFT|auto` for every VM (also set by `"icount"`); omitted or null: not given. */
  readonly icount?: number | 'auto' | null;
  /** Without a configuration: the one VM's firmware (`--firmware`), bootargs (`--append`), device tree file (`--dtb`) and data images (`--load`). */
  readonly firmware?: 'none' | 'sbi';
  readonly append?: string | null;
  readonly dtb?: string | null;
  readonly loads?: readonly LoadSpec[];
  /** Per VM: stop after this many instructions. */
  readonly maxInsns: number | null;
  /** Seconds of wall time before every VM stops. */
  readonly timeout: number | null;
  readonly stats: boolean;
  /** `--trace`: the categories and the buffer the lines go to (docs/trace.md); omitted or null: no trace. With a configuration each line names its VM. */
  readonly trace?: { readonly categories: readonly TraceCategory[]; readonly buffer: TraceBuffer } | null;
  /** `--snapshot-save` / `--snapshot-load` files (docs/snapshot.md; one VM only), and the version written into snapshots. */
  readonly snapshotSave?: string | null;
  readonly snapshotLoad?: string | null;
  readonly producer?: string;
  /** `--gdb`: the stub on one VM (`vm`: its name; null for the first). Omitted or null: none. */
  readonly gdb?: GdbOptions | null;
  /** `--tier`: how every VM's hart executes (docs/jit.md); omitted: the interpreter. */
  readonly tier?: 'interp' | 'jit';
  readonly stdin: TerminalInput;
  readonly stdout: TerminalOutput;
  readonly stderr: { write(text: string): boolean };
  /** Registers signal handlers that stop the run; returns their removal. */
  onSignal?(stop: (signal: string) => void): () => void;
  /** Progress of the run (host/progress.ts): started with the reading of all VMs' instructions retired, stopped at the end. */
  readonly progress?: { start(instret: () => number): void; stop(): void };
}

/** RAM of the one VM of `--deterministic IMAGE` when `--ram` is not given (the CLI's default). */
const SINGLE_VM_RAM = 128 * 1024 * 1024;

/** A serial backend the run opened, closed at the end. */
interface Opened {
  readonly factory: SerialPortFactory | undefined;
  close(): Promise<void>;
}

/** Runs the monitor command; resolves with the exit status. Never rejects for bad input (it says why and returns 65). */
export async function runMonitorCommand(o: MonitorCommandOptions): Promise<number> {
  const err = (text: string): void => {
    o.stderr.write(tagLines('xsvisor: ', text));
  };

  // ---- the configuration, validated before anything opens
  let file: string;
  let text: string;
  let baseDir: string;
  if (o.config !== null) {
    file = o.config;
    baseDir = dirname(resolve(o.config));
    try {
      text = readFileSync(o.config, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      err(`${o.config}: cannot read the configuration: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e)}`);
      return EXIT.BAD_INPUT;
    }
  } else {
    file = '(command line)';
    baseDir = process.cwd();
    const serial = o.serial === null ? 'uart0' : formatHostSerial(o.serial);
    const loads = (o.loads ?? []).map((l) => ({ file: l.file, addr: l.addr }));
    text = JSON.stringify({
      board: o.board,
      ...(o.icount === undefined || o.icount === null ? { deterministic: true } : { icount: o.icount }),
      vms: [{ name: 'vm', image: o.image ?? '', ram: o.ram ?? SINGLE_VM_RAM, uart: serial, firmware: o.firmware ?? 'none', load: loads }],
    });
  }
  const loadBoard = (name: string): Board => {
    try {
      return isBoardPath(name) ? loadBoardPath(isAbsolute(name) ? name : relative(process.cwd(), resolve(baseDir, name))) : loadBoardFile(o.packageRoot, name);
    } catch (e) {
      if (e instanceof BoardFileError || e instanceof BoardError) throw new Error(e.message.split('\n').join('; '));
      throw e;
    }
  };
  let config: MonitorConfig;
  try {
    config = parseMonitorConfig(text, file, loadBoard);
  } catch (e) {
    if (!(e instanceof MonitorConfigError)) throw e;
    err(e.message.split('\n').join('\nxsvisor: '));
    return EXIT.BAD_INPUT;
  }
  if (config.board.platform !== 'host') {
    err(`${file}: $.board: board '${config.board.name}' is for ${config.board.platform}; this command runs "host" boards only`);
    return EXIT.BAD_INPUT;
  }
  const cliIcount = o.icount ?? null;
  // The command line may repeat the configuration's clock, not contradict it.
  const clash = (cliIcount !== null && (config.deterministic || (config.icount !== null && config.icount !== cliIcount))) ||
    (o.deterministic && config.icount !== null);
  if (o.config !== null && clash) {
    err(`${file}: ${config.icount !== null ? `$.icount (${config.icount})` : '$.deterministic'} sets another clock than ${o.deterministic ? '--deterministic' : `--icount ${cliIcount}`}: give one`);
    return EXIT.USAGE;
  }
  if (o.config !== null && o.deterministic && cliIcount !== null) throw new Error('--deterministic with --icount reached the monitor');
  const icountMode = cliIcount ?? config.icount;
  const deterministic = o.deterministic || config.deterministic || icountMode !== null;
  const hostClock = createNodeClock();

  // ---- the images
  const images: Uint8Array[] = [];
  const imageProblems: string[] = [];
  for (const vm of config.vms) {
    const path = isAbsolute(vm.image) ? vm.image : resolve(baseDir, vm.image);
    try {
      const buf = readFileSync(path);
      images.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(e);
      imageProblems.push(`${file}: ${vm.path}.image: ${vm.image}: cannot read the image: ${why}`);
      images.push(new Uint8Array(0));
    }
  }
  // ---- data images (load) and, for one IMAGE, the device tree given (--dtb)
  const dataImages: DataImage[][] = [];
  for (const vm of config.vms) {
    const list: DataImage[] = [];
    for (const [i, l] of vm.loads.entries()) {
      const path = isAbsolute(l.file) ? l.file : resolve(baseDir, l.file);
      try {
        const buf = readFileSync(path);
        list.push({ name: l.file, addr: l.addr, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(e);
        imageProblems.push(o.config === null ? `${l.file}: cannot read --load ${l.file}@0x${l.addr.toString(16)}: ${why}` : `${file}: ${vm.path}.load[${i}].file: ${l.file}: cannot read it: ${why}`);
      }
    }
    dataImages.push(list);
  }
  let dtb: Uint8Array | undefined;
  if (o.config === null && o.dtb !== undefined && o.dtb !== null) {
    try {
      const buf = readFileSync(o.dtb);
      dtb = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      imageProblems.push(`${o.dtb}: cannot read the device tree (--dtb): ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e)}`);
    }
  }
  if (imageProblems.length > 0) {
    err(imageProblems.join('\nxsvisor: '));
    return EXIT.BAD_INPUT;
  }

  // ---- pins: the board's lines, each reaching the one VM it was given to
  let pins: SimulatedBoardPins;
  try {
    pins = new SimulatedBoardPins({ lines: config.board.gpioLines });
  } catch (e) {
    if (!(e instanceof BoardPinsError)) throw e;
    err(`${file}: $.board: ${e.message}`);
    return EXIT.BAD_INPUT;
  }

  // ---- serial backends
  let monitor: Monitor | null = null;
  let shared: SharedConsole | null = null;
  let terminal: TerminalSerial | null = null;
  const opened: Opened[] = [];
  const closeAll = async (): Promise<void> => {
    shared?.close();
    terminal?.close();
    if (terminal !== null) await terminal.flush();
    // Network backends hand output over once per event-loop turn: let the last turn happen first.
    await new Promise<void>((res) => setImmediate(res));
    for (const b of opened) await b.close();
  };
  const consoleVms = config.vms.filter((v) => v.uart.kind === 'console');
  let sharedOnTerminal = false;
  const openTerminal = (): SerialPortFactory => {
    terminal = new TerminalSerial({
      input: o.stdin,
      output: o.stdout,
      onQuit: () => monitor?.stop('quit'),
      onOutputError: () => monitor?.stop('SIGPIPE'),
      // The focus keys reach the shared console when it is on the terminal.
      onEscape: (key: number): boolean => {
        if (shared === null || !sharedOnTerminal || key < 0x31 || key > 0x39) return false;
        const index = key - 0x31;
        if (!shared.focus(index)) return false;
        err(`console input now goes to VM '${shared.names[index]}'`);
        return true;
      },
      escapeHelp: consoleVms.length > 1 ? consoleVms.map((v, i) => `C-a ${i + 1}    send input to VM '${v.name}'\n`).join('') : undefined,
    });
    opened.push({ factory: terminal.factory, close: async () => {} });
    return terminal.factory;
  };
  // VMs whose port is tcp:PORT without nowait, and the backend each waits on: held until its client connects.
  const waitingFor = new Map<string, StartedSerialBackend>();
  const waitBanners: string[] = [];
  // The port's factory (undefined: none) and the backend when it waits for a client; null when it failed to open.
  type Host = { readonly factory: SerialPortFactory | undefined; readonly waitsOn: StartedSerialBackend | null };
  const openHost = async (serial: HostSerial, who: string): Promise<Host | null> => {
    if (serial.kind === 'none') return { factory: undefined, waitsOn: null };
    if (serial.kind === 'stdio') return { factory: openTerminal(), waitsOn: null };
    let backend: StartedSerialBackend;
    try {
      backend = await startSerialBackend(serial, {
        onConnect: (c) => err(`${who}: ${c} connected`),
        onDisconnect: (c) => err(`${who}: ${c} disconnected`),
      });
    } catch (e) {
      if (!(e instanceof SerialBackendError)) throw e;
      err(`${who}: ${e.message}`);
      return null;
    }
    // A waiting port's banner comes once the signal handlers are in place (below), so a signal sent on seeing it is caught.
    if (backend.waits) waitBanners.push(`${who}: ${backend.banner}`);
    else err(`${who}: ${backend.banner}`);
    opened.push({ factory: backend.factory, close: () => backend.close() });
    return { factory: backend.factory, waitsOn: backend.waits ? backend : null };
  };
  const factories: (SerialPortFactory | undefined)[] = [];
  if (config.board.uart0.kind !== 'host') throw new Error('host boards wire UART0 to a host serial');
  const boardSerial = config.board.uart0.serial;
  if (consoleVms.length > 0) {
    const h = await openHost(boardSerial, consoleVms.length > 1 ? `console of ${consoleVms.map((v) => v.name).join(', ')}` : `VM '${consoleVms[0].name}'`);
    if (h === null) {
      await closeAll();
      return EXIT.UNAVAILABLE;
    }
    if (h.factory !== undefined) {
      shared = new SharedConsole({ serial: h.factory, names: consoleVms.map((v) => v.name) });
      sharedOnTerminal = boardSerial.kind === 'stdio';
    }
    const b = h.waitsOn;
    if (b !== null) for (const v of consoleVms) waitingFor.set(v.name, b);
  }
  for (const vm of config.vms) {
    if (vm.uart.kind === 'console') {
      factories.push(shared === null ? undefined : shared.factory(consoleVms.indexOf(vm)));
      continue;
    }
    const serial = vm.uart.kind === 'none' ? null : vm.uart.kind === 'host' ? vm.uart.serial : vm.uart.wiring.kind === 'host' ? vm.uart.wiring.serial : null;
    const h = serial === null ? { factory: undefined, waitsOn: null } : await openHost(serial, `VM '${vm.name}' UART0`);
    if (h === null) {
      await closeAll();
      return EXIT.UNAVAILABLE;
    }
    factories.push(h.factory);
    if (h.waitsOn !== null) waitingFor.set(vm.name, h.waitsOn);
  }

  // ---- the VMs
  const wall = createNodeClock();
  const vms: MonitorVmOptions[] = [];
  const tracers: (VmTracer | null)[] = [];
  const problems: string[] = [];
  config.vms.forEach((vc: VmConfig, i: number) => {
    const icount = deterministic ? new InstructionClock({ mode: icountMode ?? 'deterministic', host: hostClock }) : null;
    // --trace and --stats: an observer per VM (src/monitor/trace.ts); none otherwise, so nothing is paid.
    const trace = o.trace ?? null;
    const tracer = trace !== null || o.stats
      ? new VmTracer({ trace: trace?.categories, sink: trace?.buffer.sink, vmName: o.config !== null ? vc.name : undefined })
      : null;
    try {
      const vm = new VirtVm({
        image: images[i],
        imageName: vc.image,
        ramSize: vc.ramSize,
        board: vc.board,
        clock: icount ?? wall,
        serial: factories[i],
        pins: pins.wire,
        firmware: vc.firmware,
        loads: dataImages[i],
        bootargs: o.config === null ? o.append ?? undefined : undefined,
        dtb: o.config === null ? dtb : undefined,
        dtbName: o.config === null ? o.dtb ?? undefined : undefined,
        tier: o.tier,
        observe: tracer ?? undefined,
        onConsoleOutput: factories[i] !== undefined && factories[i] === terminal?.factory ? (b: number) => terminal?.emitByte(b) : undefined,
      });
      icount?.bind(() => vm.instret);
      for (const w of vm.image.warnings) err(`warning: VM '${vc.name}': ${w}`);
      vms.push({ name: vc.name, vm, onFault: vc.onFault, icount: icount ?? undefined, held: waitingFor.has(vc.name) });
      tracers.push(tracer);
    } catch (e) {
      if (e instanceof ImageError || e instanceof VmConfigError) problems.push(o.config === null ? e.message : `${file}: ${vc.path}: VM '${vc.name}': ${e.message}`);
      else throw e;
    }
  });
  if (problems.length > 0) {
    for (const v of vms) v.vm.close();
    await closeAll();
    err(problems.join('\nxsvisor: '));
    return EXIT.BAD_INPUT;
  }
  // ---- snapshots: of one VM (a configuration with several is refused)
  const snapshotSave = o.snapshotSave ?? null;
  const snapshotLoad = o.snapshotLoad ?? null;
  if ((snapshotSave !== null || snapshotLoad !== null) && vms.length !== 1) {
    for (const v of vms) v.vm.close();
    await closeAll();
    err(`${file}: --snapshot-save and --snapshot-load take a configuration of one VM; this one has ${vms.length}`);
    return EXIT.USAGE;
  }
  if (snapshotLoad !== null) {
    const refused = loadSnapshotFile(vms[0].vm, snapshotLoad, err);
    if (refused !== null) {
      await closeAll();
      return refused;
    }
  }

  // ---- the run
  const many = vms.length > 1;
  const onEvent = (e: MonitorEvent): void => {
    if (e.kind === 'fault' && o.config === null && e.fault.kind !== 'fatal') {
      // One IMAGE: said with the likely fix, as without --deterministic (host/cli/stuck.ts).
      for (const line of stuckMessage({ ...e.fault, imageName: o.image ?? 'image', image: images[0], firmware: config.vms[0].firmware })) err(line);
    } else if (e.kind === 'fault') {
      const what = e.action === 'restarted' ? `restarted after a fault (restart ${e.restarts})` : 'stopped by a fault';
      err(`VM '${e.vm}' ${what}: ${e.fault.reason}\n${formatRegisterDump(e.fault.dump).replace(/^/gm, 'xsvisor:   ')}`);
    } else if (many && e.exit.kind === 'exit') {
      err(`VM '${e.vm}' exited with status ${e.exit.status}`);
    }
  };
  monitor = new Monitor({
    vms,
    scheduler: createNodeScheduler(),
    sliceInstructions: config.slice,
    maxInstructions: o.maxInsns,
    onEvent,
    onRound: () => shared?.pump(),
  });
  // --gdb: the stub takes over one VM's run (src/debug/vm-debugger.ts); the monitor drives it unchanged.
  let gdb: GdbServer | null = null;
  if (o.gdb !== undefined && o.gdb !== null) {
    const g = o.gdb;
    const target = g.vm === null ? vms[0] : vms.find((v) => v.name === g.vm);
    let problem: string | null = target === undefined ? `--gdb-vm: ${file} has no VM named '${g.vm}' (VMs: ${vms.map((v) => v.name).join(', ')})` : null;
    if (target !== undefined) {
      try {
        gdb = await startGdbServer({ vm: target.vm, port: g.port, host: g.host, wait: g.wait, log: err, onKill: () => monitor?.stop(GDB_KILL) });
        err(`gdb listening on ${gdb.address}${o.config === null ? '' : ` for VM '${target.name}'`}${g.wait ? ' (the guest waits for gdb)' : ''}`);
      } catch (e) {
        if (!(e instanceof GdbServerError)) throw e;
        problem = e.message;
      }
    }
    if (problem !== null) {
      monitor.close();
      for (const v of vms) v.vm.close();
      await closeAll();
      err(problem);
      return target === undefined ? EXIT.USAGE : EXIT.UNAVAILABLE;
    }
  }
  // tcp:PORT without nowait: each such VM starts when its own client connects (QEMU's server,wait=on);
  // the others run meanwhile. --timeout counts from when the last held VM starts.
  const m = monitor;
  const released = Promise.all([...waitingFor].map(([name, backend]) => backend.waitForClient().then((connected) => {
    if (connected) m.release(name);
  })));
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ended = false;
  if (o.timeout !== null) {
    const seconds = o.timeout;
    void released.then(() => {
      if (!ended) timer = setTimeout(() => monitor?.stop('timeout'), seconds * 1000);
    });
  }
  const started = wall.now();
  const releaseSignals = o.onSignal?.((signal) => monitor?.stop(signal)) ?? null;
  for (const line of waitBanners) err(line);
  let outcomes: readonly VmOutcome[];
  let saveStatus: number | null = null;
  o.progress?.start(() => vms.reduce((sum, v) => sum + v.vm.instret, 0));
  try {
    outcomes = (await monitor.run()).vms;
    if (snapshotSave !== null) saveStatus = saveSnapshotFile(vms[0].vm, snapshotSave, o.producer ?? 'unknown', err);
  } finally {
    o.progress?.stop();
    ended = true;
    if (timer !== null) clearTimeout(timer);
    releaseSignals?.();
    await gdb?.close();
    monitor.close();
    await closeAll();
  }
  const seconds = (wall.now() - started) / 1e6;
  o.trace?.buffer.flush(); // the trace comes before the statistics
  if (o.stats) {
    let total = 0;
    for (const v of outcomes) {
      total += v.instret;
      if (many) o.stderr.write(`xsvisor: VM '${v.name}': instructions retired: ${v.instret}\n`);
    }
    o.stderr.write(
      `xsvisor: instructions retired: ${total}\n` +
      `xsvisor: wall time: ${seconds.toFixed(3)} s\n` +
      `xsvisor: MIPS: ${(seconds > 0 ? total / seconds / 1e6 : 0).toFixed(2)}\n`,
    );
    // The observers' counts (docs/trace.md), per VM.
    vms.forEach((v, i) => {
      const t = tracers[i];
      if (t !== null) for (const line of formatTraceStats(t.stats)) o.stderr.write(`xsvisor: ${many ? `VM '${v.name}': ` : ''}${line}\n`);
    });
  }
  const status = statusOf(outcomes, o, err);
  return saveStatus ?? status;
}

/** The process status for the VMs' outcomes (see the module header). */
function statusOf(outcomes: readonly VmOutcome[], o: MonitorCommandOptions, err: (text: string) => void): number {
  // A stop of the whole run speaks first, as for a single image.
  for (const v of outcomes) {
    const x = v.exit;
    if (x.kind === 'limit') {
      err(`VM '${v.name}' stopped after ${x.instructions} instructions (--max-insns)`);
    }
    if (x.kind !== 'stopped' || v.fault !== null) continue;
    switch (x.reason) {
      case 'timeout':
        err(`timed out after ${o.timeout} s (--timeout)`);
        return EXIT.TIMEOUT;
      case 'quit':
        err('terminated (Ctrl-A x)');
        return 0;
      case 'SIGPIPE':
        return 128 + 13;
      case GDB_KILL:
        err('killed by gdb');
        return 0;
      case 'SIGTERM':
      case 'SIGHUP':
      case 'SIGINT':
        err(`terminated by ${x.reason}`);
        return 128 + (x.reason === 'SIGHUP' ? 1 : x.reason === 'SIGINT' ? 2 : 15);
      default:
        break;
    }
  }
  if (outcomes.some((v) => v.exit.kind === 'limit')) return EXIT.MAX_INSNS;
  for (const v of outcomes) {
    const x = v.exit;
    if (x.kind === 'exit') {
      if (x.status === 0) continue;
      const s = x.status & 0xff;
      return s === 0 ? 1 : s;
    }
    if (v.fault !== null) return o.config === null && v.fault.kind !== 'fatal' ? EXIT.GUEST_STUCK : EXIT.INTERNAL;
    err(`VM '${v.name}' ended: ${x.kind === 'stopped' ? x.reason : x.kind === 'fatal' ? x.reason : x.kind}`);
    return EXIT.INTERNAL;
  }
  return 0;
}
