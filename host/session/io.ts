/**
 * A session's serial ports: the terminal, TCP servers and ptys its VMs'
 * UARTs reach, the shared console that tags the `console` VMs' lines, the
 * Ctrl-A keys (quit, restart, input focus), and the ports that hold their
 * VM until a client connects (`tcp:PORT` without `nowait`).
 */

import { SharedConsole } from '../../src/monitor/index.js';
import type { HostSerial } from '../../src/board/index.js';
import type { SerialPortFactory } from '../../src/ports/index.js';
import { TerminalSerial, type TerminalInput, type TerminalOutput } from '../node/terminal-serial.js';
import { SerialBackendError, startSerialBackend, type StartedSerialBackend } from '../serial/index.js';
import type { ConsoleMirror } from '../view/index.js';
import type { SessionPlan, Say } from './plan.js';

/** What the keys and a lost reader do to the run; bound once the run exists. */
export interface SessionControl {
  /** Stops every VM for `reason` (`quit`, `SIGPIPE`, a signal's name, `timeout`). */
  stop(reason: string): void;
  /** Boots the guest afresh (Ctrl-A r); false when the run cannot (XS, or over). */
  restart(): boolean;
  /** Ctrl-A 1-9 with the shared console in the engine (XS): its input goes to VM `index` on it; false when the run cannot. */
  focus(index: number): boolean;
}

/** The opened ports, per VM in plan order. */
export interface SessionIo {
  /** Each VM's UART0 port (undefined: none). */
  readonly ports: readonly (SerialPortFactory | undefined)[];
  /** Each VM's HTIF console, when its UART0 is the terminal (or the board view mirrors it). */
  readonly console: readonly (((byte: number) => void) | undefined)[];
  readonly shared: SharedConsole | null;
  /** With `sharedConsole: 'engine'`: the board UART0's port that the engine's shared console writes to, or undefined. */
  readonly sharedPort: SerialPortFactory | undefined;
  /** VMs held until their port's first client connects, by name. */
  readonly waiting: ReadonlyMap<string, StartedSerialBackend>;
  /** Banners of the waiting ports: said once the signal handlers are in place, so a signal sent on seeing one is caught. */
  readonly banners: readonly string[];
  /** Closes the shared console, restores the terminal and closes the backends, after their last output. */
  close(): Promise<void>;
}

/** Options of {@link openSessionIo}. */
export interface SessionIoOptions {
  readonly plan: SessionPlan;
  readonly stdin: TerminalInput;
  readonly stdout: TerminalOutput;
  /** Ctrl-A escapes on a pty or TCP UART0 (`--serial mon:...`; one IMAGE). */
  readonly escapes: boolean;
  /** The board view's console mirror (`--view`; one IMAGE), or null. */
  readonly mirror: ConsoleMirror | null;
  readonly control: SessionControl;
  readonly err: Say;
  /** Where the shared console that tags the `console` VMs' lines runs: here (V8's monitor) or in the engine, given its port (XS). Default here. */
  readonly sharedConsole?: 'here' | 'engine';
}

/** Opens every port the plan names; null (the opened ones closed again, the reason said) when one cannot start: status 69. */
export async function openSessionIo(o: SessionIoOptions): Promise<SessionIo | null> {
  const { plan, control, err } = o;
  let terminal: TerminalSerial | null = null;
  let shared: SharedConsole | null = null;
  let sharedPort: SerialPortFactory | undefined;
  let sharedOnTerminal = false;
  const backends: StartedSerialBackend[] = [];
  const waiting = new Map<string, StartedSerialBackend>();
  const banners: string[] = [];
  const close = async (): Promise<void> => {
    shared?.close();
    terminal?.close();
    if (terminal !== null) await terminal.flush();
    // Network backends hand output over once per event-loop turn: let the last turn happen first.
    await new Promise<void>((res) => setImmediate(res));
    for (const b of backends) await b.close();
  };
  const consoleVms = plan.vms.filter((v) => v.uart.kind === 'console');
  const openTerminal = (): SerialPortFactory => {
    terminal ??= new TerminalSerial({
      input: o.stdin,
      output: o.stdout,
      onQuit: () => control.stop('quit'),
      // The reader went away (EPIPE): end as a process killed by SIGPIPE would, quietly.
      onOutputError: () => control.stop('SIGPIPE'),
      onEscape: (key: number): boolean => {
        if (plan.single) return key === 0x72 /* r */ && control.restart();
        // The focus keys reach the shared console when it is on the terminal.
        if (!sharedOnTerminal || key < 0x31 || key > 0x39 || key - 0x31 >= consoleVms.length) return false;
        const index = key - 0x31;
        if (!(shared !== null ? shared.focus(index) : control.focus(index))) return false;
        err(`console input now goes to VM '${consoleVms[index].name}'`);
        return true;
      },
      escapeHelp: plan.single ? 'C-a r    restart the guest\n'
        : consoleVms.length > 1 ? consoleVms.map((v, i) => `C-a ${i + 1}    send input to VM '${v.name}'\n`).join('') : undefined,
    });
    return terminal.factory;
  };
  /** The port, and the backend when it waits for a client; null when it failed to open. */
  const openHost = async (serial: HostSerial, who: string): Promise<{ factory: SerialPortFactory | undefined; waitsOn: StartedSerialBackend | null } | null> => {
    if (serial.kind === 'none') return { factory: undefined, waitsOn: null };
    if (serial.kind === 'stdio') return { factory: openTerminal(), waitsOn: null };
    let backend: StartedSerialBackend;
    try {
      backend = await startSerialBackend(serial, {
        onConnect: (c) => err(`${who}: ${c} connected`),
        onDisconnect: (c) => err(`${who}: ${c} disconnected`),
        onEscape: !o.escapes ? undefined : (key) => {
          if (key === 0x72 /* r */) control.restart();
          else if (key === 0x78 /* x */) control.stop('quit');
        },
      });
    } catch (e) {
      if (!(e instanceof SerialBackendError)) throw e;
      err(`${who}: ${e.message}`);
      return null;
    }
    backends.push(backend);
    // One IMAGE says its banner bare, as QEMU does; a configuration's name their VMs.
    const banner = plan.single ? backend.banner : `${who}: ${backend.banner}`;
    if (backend.waits) banners.push(banner);
    else err(banner);
    return { factory: backend.factory, waitsOn: backend.waits ? backend : null };
  };

  const boardSerial = plan.board.uart0.kind === 'host' ? plan.board.uart0.serial : null;
  if (consoleVms.length > 0 && boardSerial !== null) {
    const h = await openHost(boardSerial, consoleVms.length > 1 ? `console of ${consoleVms.map((v) => v.name).join(', ')}` : `VM '${consoleVms[0].name}'`);
    if (h === null) {
      await close();
      return null;
    }
    if (h.factory !== undefined) {
      if (o.sharedConsole === 'engine') sharedPort = h.factory;
      else shared = new SharedConsole({ serial: h.factory, names: consoleVms.map((v) => v.name) });
      sharedOnTerminal = boardSerial.kind === 'stdio';
    }
    if (h.waitsOn !== null) for (const v of consoleVms) waiting.set(v.name, h.waitsOn);
  }
  const ports: (SerialPortFactory | undefined)[] = [];
  const consoles: (((byte: number) => void) | undefined)[] = [];
  for (const vm of plan.vms) {
    if (vm.uart.kind === 'console') {
      ports.push(shared?.factory(consoleVms.indexOf(vm)));
      consoles.push(undefined);
      continue;
    }
    const h = vm.uart.kind === 'none' ? { factory: undefined, waitsOn: null } : await openHost(vm.uart.serial, plan.single ? 'UART0' : `VM '${vm.name}' UART0`);
    if (h === null) {
      await close();
      return null;
    }
    if (h.waitsOn !== null) waiting.set(vm.name, h.waitsOn);
    const onTerminal = h.factory !== undefined && h.factory === (terminal as TerminalSerial | null)?.factory;
    const t = terminal as TerminalSerial | null;
    // With --view, UART0 goes through a tee in front of its port, and HTIF's console is mirrored too.
    const mirror = o.mirror;
    ports.push(mirror === null ? h.factory : mirror.tee(h.factory));
    consoles.push(!onTerminal && mirror === null ? undefined : (b: number) => {
      if (onTerminal) t?.emitByte(b);
      mirror?.push(b);
    });
  }
  return { ports, console: consoles, shared, sharedPort, waiting, banners, close };
}
