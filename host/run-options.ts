/**
 * What `xsvisor run` asks for, once parsed: the options the CLI's parser
 * (cli/args.ts) produces and the session (session.ts) acts on. Types and
 * defaults only, so both import them downward.
 */

import type { HostSerial } from '../src/board/index.js';
import type { TraceCategory } from '../src/monitor/trace.js';

/** Options of `xsvisor run`. */
export interface RunOptions {
  /** The guest image's path. */
  readonly image: string;
  /** Guest RAM in bytes; null means the CLI default (128 MiB). */
  readonly ram: number | null;
  /** Stop after this many instructions (exit status 125); null for no limit. */
  readonly maxInsns: number | null;
  /** Stop after this many seconds of wall time (exit status 124); null for no limit. */
  readonly timeout: number | null;
  /** Print instructions retired, wall time and MIPS to stderr at the end. */
  readonly stats: boolean;
  /** Progress while the guest runs (host/progress.ts): `auto` (the terminal's title, or a status line on stderr), `on` (`--progress`), `off` (`--no-progress`). */
  readonly progress: 'auto' | 'on' | 'off';
  /** Board name (boards/NAME.json), or a path to a board file when it contains '/' or ends in '.json'. */
  readonly board: string;
  /** Where UART0 goes, overriding the board's `uart0.serial`; null: the board's. */
  readonly serial: HostSerial | null;
  /** Ctrl-A escapes (x quit, r restart) on a pty or TCP UART0: `--serial mon:pty`, `mon:tcp:PORT`, after QEMU's `mon:`. */
  readonly serialEscapes: boolean;
  /** Serve the live board view (LEDs, buttons, console) on a loopback web page. */
  readonly view: boolean;
  /** The JavaScript engine the monitor runs in: this Node process (V8), or Moddable's XS in an xsnap worker. */
  readonly engine: Engine;
  /** A monitor configuration (several VMs; docs/monitor.md) run instead of IMAGE; null: run IMAGE. */
  readonly config: string | null;
  /** Clocks from instruction counts (docs/monitor.md): the same output and exit status every run. */
  readonly deterministic: boolean;
  /** Trace categories to print (`--trace LIST`, docs/trace.md); empty: no trace. */
  readonly trace: readonly TraceCategory[];
  /** Where trace lines go (`--trace-file FILE`); null: stderr. */
  readonly traceFile: string | null;
  /** Save the VM to this file when the run ends (docs/snapshot.md); null: no snapshot. */
  readonly snapshotSave: string | null;
  /** Resume the VM from this snapshot file instead of booting it; null: boot. */
  readonly snapshotLoad: string | null;
  /** The GDB remote stub (`--gdb PORT`, docs/gdb.md), or null. */
  readonly gdb: GdbOptions | null;
  /** How the hart executes (`--tier`, docs/jit.md): the interpreter, or guest blocks translated to JavaScript. */
  readonly tier: 'interp' | 'jit';
  /** `--icount SHIFT|auto`: 2^SHIFT ns of guest time per instruction, or a rate that follows the host's clock; null: not given. */
  readonly icount: number | 'auto' | null;
  /** `--firmware`: `none` (M-mode boot, QEMU's -bios none) or `sbi` (S-mode under the built-in SBI, as QEMU's -bios). */
  readonly firmware: 'none' | 'sbi';
  /** `--append ARGS`: /chosen/bootargs; null: none. */
  readonly append: string | null;
  /** `--dtb FILE`: a device tree blob instead of the generated one; null: generated. */
  readonly dtb: string | null;
  /** `--load FILE@ADDR`, in the order given. */
  readonly loads: readonly LoadSpec[];
}

/** One `--load FILE@ADDR` (QEMU's `-device loader,file=FILE,addr=ADDR,force-raw=on`). */
export interface LoadSpec {
  readonly file: string;
  readonly addr: number;
}

/** `--gdb PORT [--gdb-host ADDR] [--wait] [--gdb-vm NAME]`. */
export interface GdbOptions {
  /** TCP port; 0 picks a free one (printed on stderr). */
  readonly port: number;
  /** Address to listen on (default 127.0.0.1). */
  readonly host: string;
  /** Halt before the first instruction until GDB continues. */
  readonly wait: boolean;
  /** With --config: the VM to debug; null for the first. */
  readonly vm: string | null;
}

/** The engines `--engine` names. */
export type Engine = 'node' | 'xs';

/** The default guest RAM, as QEMU's `virt` machine: 128 MiB. */
export const DEFAULT_RAM = 128 * 1024 * 1024;

/** True when a --board value names a file rather than a board in boards/. */
export function isBoardPath(board: string): boolean {
  return board.includes('/') || board.endsWith('.json');
}
