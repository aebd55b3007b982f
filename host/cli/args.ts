/**
 * The command line of `xsvisor`: parsing and the help text.
 *
 * Owns the syntax only (what the options are and what values they take);
 * `main.ts` acts on the result. Values may be given as `--opt VALUE` or
 * `--opt=VALUE`; `--` ends the options.
 */

import { parseSize, SizeError, type HostSerial } from '../../src/board/index.js';
import { EXIT } from '../exit-status.js';
import { DEFAULT_RAM, isBoardPath, type Engine, type GdbOptions, type LoadSpec, type RunOptions } from '../run-options.js';
import { splitOptions } from '../options.js';
import { parseSerialSpec } from '../serial/index.js';
import { parseTraceList, TraceListError, type TraceCategory } from '../../src/monitor/trace.js';

export { DEFAULT_RAM, isBoardPath, type Engine, type GdbOptions, type LoadSpec, type RunOptions };

/** What the user asked for. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly options: RunOptions }
  /** `xsvisor hil ...`: the arguments after `hil`, parsed by host/hil/args.ts (the harness owns its syntax). */
  | { readonly kind: 'hil'; readonly argv: readonly string[] };



/**
 * Parses `FILE@ADDR` (ADDR hexadecimal with 0x, or decimal; the last `@`
 * splits, so a file name may hold one). Returns null when it is not that.
 */
export function parseLoadSpec(text: string): LoadSpec | null {
  const at = text.lastIndexOf('@');
  if (at <= 0) return null;
  const file = text.slice(0, at);
  const a = text.slice(at + 1);
  const addr = /^0[xX][0-9a-fA-F]{1,9}$/.test(a) ? parseInt(a.slice(2), 16) : /^[0-9]{1,11}$/.test(a) ? Number(a) : NaN;
  if (!Number.isSafeInteger(addr) || addr >= 2 ** 34) return null;
  return Object.freeze({ file, addr });
}

/**
 * Parses an `--icount` value: `SHIFT` (0-10), `auto`, or QEMU's spelling
 * `shift=SHIFT|auto[,sleep=off]`. Returns null when it is none of those
 * (`sleep=on` included: xsvisor always warps an idle guest's clock).
 */
export function parseIcount(text: string): number | 'auto' | null {
  let t = text;
  if (t.startsWith('shift=')) {
    const parts = t.split(',');
    if (parts.slice(1).some((p) => p !== 'sleep=off')) return null;
    t = parts[0].slice('shift='.length);
  }
  if (t === 'auto') return 'auto';
  return /^(10|[0-9])$/.test(t) ? Number(t) : null;
}


/** The engine when `--engine` is not given. */
export const DEFAULT_ENGINE: Engine = 'node';

/** Bad command-line arguments; main prints the message and a hint, and exits with {@link EXIT.USAGE}. */
export class UsageError extends Error {
  /** The argument at fault, or null. */
  readonly argument: string | null;
  constructor(message: string, argument: string | null = null) {
    super(message);
    this.name = 'UsageError';
    this.argument = argument;
  }
}


/** The default board file: boards/host-sim.json. */
export const DEFAULT_BOARD = 'host-sim';

/** The help text, for `--help`. */
export function helpText(): string {
  return `Usage: xsvisor run [OPTIONS] IMAGE
       xsvisor run [OPTIONS] --config FILE
       xsvisor hil --port PATH [--baud N] [--format tap|junit] [--output FILE] SCENARIO.json
       xsvisor --help | --version

Runs a RISC-V RV32IMAC guest built for QEMU's virt machine
(as qemu-system-riscv32 -M virt -bios none -kernel IMAGE -nographic).
IMAGE is an ELF32 RISC-V executable, or a raw binary loaded at 0x80000000.

Options:
  --ram SIZE        guest RAM: bytes, 0x..., or with a unit (64M, 128MiB, 1G);
                    default 128MiB; must fit the board's ramBudget
  --board NAME      board file boards/NAME.json (default ${DEFAULT_BOARD});
                    a value with '/' or ending in .json is a path to a board file
  --serial SPEC     where UART0 goes, instead of the board's uart0.serial:
                    stdio (the terminal), none, pty, or tcp:PORT (a server on
                    127.0.0.1; the guest and --timeout start when a client
                    connects), tcp:PORT,nowait (the guest starts at once);
                    mon:pty, mon:tcp:PORT[,nowait]: the same with Ctrl-A escapes
                    on the port's input (C-a r restart the guest, C-a x quit, C-a C-a)
  --max-insns N     stop after N instructions (executed, trapping ones included)
  --timeout SECONDS stop after SECONDS of wall time (fractions allowed)
  --stats           print instructions retired, wall time and MIPS to stderr,
                    then accesses per device, access faults, run-loop exits,
                    traps by cause and SBI calls by extension (docs/trace.md)
  --progress        print instructions retired, MIPS and wall time to stderr
                    every 10 s (by default they show only on a terminal: in
                    its title while the guest's console is there, else on a
                    status line on stderr)
  --no-progress     show no progress
  --trace LIST      print one line per event to stderr: LIST is all, or a
                    comma-separated subset of mmio (device accesses, access
                    faults), irq (line changes, interrupts taken), trap, sbi;
                    lines start with the instruction count (docs/trace.md)
  --trace-file FILE with --trace: write the lines to FILE instead
  --view            serve a live view of the board on a loopback web page
                    (its URL is printed on stderr): LEDs lit as the guest
                    drives them, buttons to press, the console mirrored
  --engine ENGINE   node (default): the monitor runs in this process (V8);
                    xs: in Moddable's XS engine (an xsnap worker), as on a
                    board; every option works as under V8
  --tier TIER       interp (default): the hart interprets each instruction;
                    jit: guest code is translated to JavaScript blocks
                    (docs/jit.md); falls back to interp where the engine
                    cannot compile code; default: $XSVISOR_TIER, else interp
  --config FILE     run the VMs of a monitor configuration (JSON, see
                    docs/monitor.md) instead of IMAGE: each VM isolated,
                    round-robin; not with IMAGE, --ram, --board, --serial, --view
  --deterministic   clocks count instructions (1 us each) instead of wall
                    time: identical output and exit status on every run,
                    under --engine node and xs; not with --view
  --icount SHIFT|auto  as QEMU's -icount shift=SHIFT|auto,sleep=off: each
                    instruction is 2^SHIFT ns of guest time (SHIFT 0-10),
                    an idle guest's clock jumps to its next timer; auto:
                    the rate follows the host's clock; not with
                    --deterministic or --view
  --firmware FW     none (default): boot IMAGE in M-mode (QEMU -bios none);
                    sbi: boot an S-mode kernel under the built-in SBI, as
                    after OpenSBI (QEMU -bios); a raw IMAGE loads at 0x80400000
  --append ARGS     the kernel command line, in /chosen/bootargs (QEMU -append)
  --dtb FILE        give the guest this device tree blob instead of the
                    generated one (QEMU -dtb); with --append, its bootargs set
  --load FILE@ADDR  copy FILE's bytes into guest RAM at ADDR on every boot
                    (QEMU -device loader,file=FILE,addr=ADDR,force-raw=on);
                    repeatable; refused outside RAM or over the image, the
                    device tree or another --load
  --snapshot-save FILE  when the run ends (guest exit, --max-insns, --timeout,
                    SIGINT/SIGTERM) save the VM to FILE (docs/snapshot.md)
  --snapshot-load FILE  resume the VM saved in FILE instead of booting IMAGE;
                    same IMAGE, board, --ram, firmware and --deterministic
                    as when it was saved (either engine may load it)
  --gdb PORT        serve GDB's remote protocol on 127.0.0.1:PORT (0: any free
                    port; the port is printed on stderr); gdb-multiarch
                    connects with 'target remote :PORT' (docs/gdb.md)
  --wait            with --gdb: halt before the first instruction until gdb
                    continues (otherwise the guest runs; gdb attaching halts it)
  --gdb-host ADDR   with --gdb: listen on ADDR instead of 127.0.0.1; UNSAFE
                    off loopback: anyone who reaches the port controls the guest
  --gdb-vm NAME     with --gdb and --config: the VM to debug (default the first)
  -h, --help        show this help and exit
  -V, --version     show the version and exit

Terminal: with the default board (or --serial stdio) UART0 is on the
terminal. When stdin is a terminal it is put in raw mode; type Ctrl-A x to
quit, Ctrl-A r to restart the guest, Ctrl-A Ctrl-A to send Ctrl-A, Ctrl-A h
for help. When stdin or stdout is not a terminal, bytes pass through
unchanged; when stdin ends the guest gets no more input and runs on.
With --config, the lines of VMs that share the console ("uart": "console")
are tagged [NAME], and input goes to one of them: Ctrl-A 1-9 picks it.

'xsvisor hil' runs a hardware-in-the-loop scenario against a serial console
(a board, or a guest on --serial mon:pty) and reports TAP or JUnit XML;
'xsvisor hil --help' and docs/hil.md tell more.

Exit status:
  the guest's exit code (test finisher or HTIF), modulo 256 (a non-zero
       code that is 0 modulo 256 gives 1, so a failure never reads as a pass)
  ${EXIT.USAGE}   bad arguments (including --ram larger than the board's ramBudget)
  ${EXIT.BAD_INPUT}   bad or unreadable image, board or snapshot file (or a snapshot of another image/board/RAM/mode)
  ${EXIT.UNAVAILABLE}   the serial backend or the board view could not start (TCP port in use, no pty)
  ${EXIT.INTERNAL}   internal error (or the hart stopped on a fatal condition)
  ${EXIT.GUEST_STUCK}   IMAGE made no progress: every instruction traps, or the same exception
       recurs without end (the message names the cause and a likely fix)
  ${EXIT.CANT_CREATE}   an output file (--snapshot-save, --trace-file) could not be written
  ${EXIT.TIMEOUT}  --timeout expired
  ${EXIT.MAX_INSNS}  --max-insns reached
  0    quit with Ctrl-A x, or kill from gdb (as QEMU)
  128+N  ended by signal N (SIGHUP, SIGINT, SIGTERM; 141 when stdout's reader goes away)
`;
}


const VALUE_OPTIONS = Object.freeze(['--ram', '--max-insns', '--timeout', '--board', '--serial', '--engine', '--config', '--trace', '--trace-file', '--snapshot-save', '--snapshot-load', '--gdb', '--gdb-host', '--gdb-vm', '--tier',
  '--icount', '--firmware', '--append', '--dtb', '--load']);
const FLAG_OPTIONS = Object.freeze(['--stats', '--view', '--deterministic', '--wait', '--progress', '--no-progress']);
/** Every option of `xsvisor run` (help and version aside): tests/host/cli-xs-options.test.ts checks each works under `--engine xs`. */
export const RUN_OPTIONS: readonly string[] = Object.freeze([...VALUE_OPTIONS, ...FLAG_OPTIONS]);

/**
 * Takes the arguments after the program name; returns the command. Refuses
 * unknown commands and options, missing or malformed values, repeated
 * options and a missing or extra image with a {@link UsageError}.
 */
export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw new UsageError('no command given');
  const first = argv[0];
  if (first === '-h' || first === '--help' || first === 'help') return { kind: 'help' };
  if (first === '-V' || first === '--version' || first === 'version') return { kind: 'version' };
  if (first === 'hil') return { kind: 'hil', argv: argv.slice(1) };
  if (first !== 'run') {
    throw new UsageError(first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}' (the command is 'run')`, first);
  }

  const split = splitOptions(argv.slice(1), {
    values: VALUE_OPTIONS,
    repeatable: ['--load'],
    flags: FLAG_OPTIONS,
    early: ['-h', '--help', '-V', '--version'],
  }, (message, argument) => new UsageError(message, argument));
  if (split.early === '-h' || split.early === '--help') return { kind: 'help' };
  if (split.early !== null) return { kind: 'version' };
  const seen = split.values;
  const positional = split.operands;
  const stats = split.flags.has('--stats');
  if (split.flags.has('--progress') && split.flags.has('--no-progress')) throw new UsageError('--progress and --no-progress exclude each other', '--no-progress');
  const progress = split.flags.has('--progress') ? 'on' : split.flags.has('--no-progress') ? 'off' : 'auto';
  const view = split.flags.has('--view');
  const deterministic = split.flags.has('--deterministic');
  const wait = split.flags.has('--wait');
  const config = seen.get('--config') ?? null;
  if (config !== null) {
    // The configuration names the images, their RAM, the board and the UARTs.
    if (positional.length > 0) throw new UsageError(`--config runs the VMs its file names: no IMAGE expected, got ${positional.join(' ')}`, positional[0]);
    for (const opt of ['--ram', '--board', '--serial']) {
      if (seen.has(opt)) throw new UsageError(`${opt} does not go with --config: say it in the configuration (per VM: ram, uart; at the top: board)`, opt);
    }
    if (view) throw new UsageError('--view does not go with --config', '--view');
    for (const opt of ['--firmware', '--append', '--dtb', '--load']) {
      if (seen.has(opt)) throw new UsageError(`${opt} goes with one IMAGE: with --config, say it in the configuration${opt === '--firmware' ? ' (per VM: firmware)' : opt === '--load' ? ' (per VM: load)' : ''}`, opt);
    }
  } else if (positional.length === 0) throw new UsageError('no IMAGE given');
  if (deterministic && view) throw new UsageError('--view does not go with --deterministic', '--view');
  const icountText = seen.get('--icount');
  let icount: number | 'auto' | null = null;
  if (icountText !== undefined) {
    icount = parseIcount(icountText);
    if (icount === null) throw new UsageError(`--icount: '${icountText}' is not a SHIFT 0-10, auto, or shift=SHIFT|auto[,sleep=off]`, icountText);
    if (deterministic) throw new UsageError('--icount and --deterministic both set the clock: give one (--deterministic is 1000 ns per instruction, --icount SHIFT 2^SHIFT ns)', '--icount');
    if (view) throw new UsageError('--view does not go with --icount', '--view');
  }
  const firmwareText = seen.get('--firmware') ?? 'none';
  if (firmwareText !== 'none' && firmwareText !== 'sbi') throw new UsageError(`--firmware: '${firmwareText}' is not none or sbi`, firmwareText);
  const firmware: 'none' | 'sbi' = firmwareText;
  const append = seen.get('--append') ?? null;
  const dtb = seen.get('--dtb') ?? null;
  if (dtb === '') throw new UsageError('--dtb: no file named', '--dtb');
  const loads: LoadSpec[] = [];
  for (const text of split.lists.get('--load') ?? []) {
    const spec = parseLoadSpec(text);
    if (spec === null) throw new UsageError(`--load: '${text}' is not FILE@ADDR (ADDR as 0x... or decimal, below 2^34)`, text);
    loads.push(spec);
  }
  if (positional.length > 1) throw new UsageError(`one IMAGE expected, got ${positional.length}: ${positional.join(' ')}`, positional[1]);

  const ramText = seen.get('--ram');
  let ram: number | null = null;
  if (ramText !== undefined) {
    try {
      ram = parseSize(ramText);
    } catch (e) {
      throw new UsageError(`--ram: ${e instanceof SizeError ? e.message : String(e)}`, ramText);
    }
    if (ram <= 0 || ram % 4096 !== 0) throw new UsageError(`--ram: ${ramText} is not a positive multiple of 4 KiB`, ramText);
  }

  const insnsText = seen.get('--max-insns');
  let maxInsns: number | null = null;
  if (insnsText !== undefined) {
    const n = /^[0-9]+$/.test(insnsText) ? Number(insnsText) : NaN;
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--max-insns: '${insnsText}' is not a positive whole number`, insnsText);
    maxInsns = n;
  }

  const timeoutText = seen.get('--timeout');
  let timeout: number | null = null;
  if (timeoutText !== undefined) {
    const t = /^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$/.test(timeoutText) ? Number(timeoutText) : NaN;
    if (!(t > 0) || t > 2_000_000) throw new UsageError(`--timeout: '${timeoutText}' is not a positive number of seconds`, timeoutText);
    timeout = t;
  }

  const board = seen.get('--board') ?? DEFAULT_BOARD;
  if (!isBoardPath(board) && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(board)) {
    throw new UsageError(`--board: '${board}' is not a board name (boards/NAME.json; letters, digits, '-', '_') or a path to a .json file`, board);
  }

  const serialGiven = seen.get('--serial');
  // `mon:` (QEMU's spelling) adds the Ctrl-A escapes to a pty or TCP port, whose bytes otherwise pass raw.
  const serialEscapes = serialGiven?.startsWith('mon:') === true;
  const serialText = serialEscapes ? serialGiven!.slice(4) : serialGiven;
  let serial: HostSerial | null = null;
  if (serialText !== undefined) {
    serial = parseSerialSpec(serialText);
    if (serial === null) throw new UsageError(`--serial: '${serialGiven}' is not stdio, none, pty, tcp:PORT or tcp:PORT,nowait (PORT 1-65535), mon:pty or mon:tcp:PORT[,nowait]`, serialGiven);
    if (serialEscapes && serial.kind !== 'pty' && serial.kind !== 'tcp') {
      throw new UsageError(`--serial: '${serialGiven}': mon: goes with pty or tcp:PORT (the terminal has its Ctrl-A keys already)`, serialGiven);
    }
  }

  const engineText = seen.get('--engine') ?? DEFAULT_ENGINE;
  if (engineText !== 'node' && engineText !== 'xs') throw new UsageError(`--engine: '${engineText}' is not node or xs`, engineText);
  const engine: Engine = engineText;

  if (serialEscapes && (deterministic || icount !== null)) {
    throw new UsageError(`--serial mon:... restarts the VM when a key comes, at no set instruction count: not with ${deterministic ? '--deterministic' : '--icount'}`, serialGiven);
  }

  const gdb = parseGdbOptions(seen, wait, config);
  // Default: $XSVISOR_TIER, so that test suites spawning the CLI run in either tier (`npm run test:jit`).
  const tierText = seen.get('--tier') ?? process.env['XSVISOR_TIER'] ?? 'interp';
  if (tierText !== 'interp' && tierText !== 'jit') throw new UsageError(`--tier: '${tierText}' is not interp or jit`, tierText);
  const tier: 'interp' | 'jit' = tierText;
  const snapshotSave = seen.get('--snapshot-save') ?? null;
  const snapshotLoad = seen.get('--snapshot-load') ?? null;
  for (const [opt, v] of [['--snapshot-save', snapshotSave], ['--snapshot-load', snapshotLoad]] as const) {
    if (v === '') throw new UsageError(`${opt}: no file named`, opt);
    // auto's time follows the host's clock: nothing to resume exactly.
    if (v !== null && icount === 'auto') throw new UsageError(`${opt} does not go with --icount auto (its time follows the host's clock): use --icount SHIFT`, opt);
  }

  const traceText = seen.get('--trace');
  let trace: readonly TraceCategory[] = [];
  if (traceText !== undefined) {
    try {
      trace = parseTraceList(traceText);
    } catch (e) {
      if (!(e instanceof TraceListError)) throw e;
      throw new UsageError(`--trace: ${e.message}`, traceText);
    }
  }
  const traceFile = seen.get('--trace-file') ?? null;
  if (traceFile !== null && traceText === undefined) throw new UsageError('--trace-file needs --trace LIST', '--trace-file');
  if (traceFile === '') throw new UsageError('--trace-file: no file named', '--trace-file');

  return { kind: 'run', options: Object.freeze({
    image: positional[0] ?? '', ram, maxInsns, timeout, stats, progress, board, serial, serialEscapes, view, engine, config, deterministic, trace, traceFile, gdb,
    snapshotSave, snapshotLoad, tier, icount, firmware, append, dtb, loads: Object.freeze(loads),
  }) };
}

/** The --gdb options, checked; null without --gdb. Refuses the others without --gdb. */
function parseGdbOptions(seen: ReadonlyMap<string, string>, wait: boolean, config: string | null): GdbOptions | null {
  const portText = seen.get('--gdb');
  if (portText === undefined) {
    for (const opt of ['--gdb-host', '--gdb-vm']) if (seen.has(opt)) throw new UsageError(`${opt} needs --gdb PORT`, opt);
    if (wait) throw new UsageError('--wait needs --gdb PORT', '--wait');
    return null;
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--gdb: '${portText}' is not a TCP port (0-65535; 0 picks a free one)`, portText);
  const host = seen.get('--gdb-host') ?? '127.0.0.1';
  if (host === '' || /[\s/]/.test(host)) throw new UsageError(`--gdb-host: '${host}' is not an address`, host);
  const vm = seen.get('--gdb-vm') ?? null;
  if (vm !== null && config === null) throw new UsageError('--gdb-vm picks a VM of --config FILE; with one IMAGE there is only one', '--gdb-vm');
  return Object.freeze({ port, host, wait, vm });
}
