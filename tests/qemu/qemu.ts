// qemu.ts: runs a guest image under qemu-system-riscv32 (Debian's
// qemu-system-misc, QEMU 7.2) the way the project compares against it:
// `-M virt -bios none -nographic` with a CPU trimmed to RV32IMAC + S/U, or
// `-M spike` for HTIF guests, with a hang guard, capturing the UART (QEMU's
// stdout) and the exit status that the test finisher / HTIF produce.
//
// QEMU's stdout is a regular file, never a pipe: QEMU makes its stdio
// non-blocking, its 16550 keeps a byte that met EAGAIN for a later retry,
// and the test finisher exits at once, so whatever a lagging reader had
// not yet drained from a pipe was lost (1-2 bytes at the end, as seen on
// loaded machines). A file never answers EAGAIN.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Machine = 'virt' | 'spike';

/**
 * The reference CPU: QEMU 7.2's generic rv32 with every extension the
 * monitor does not implement switched off. QEMU 7.2 accepts all of these
 * (f=false is only accepted together with d=false); sstc=false keeps
 * timer interrupts on the CLINT path.
 */
export const QEMU_CPU = 'rv32,f=false,d=false,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false';

export const QEMU_BINARY = process.env['QEMU_SYSTEM_RISCV32'] ?? 'qemu-system-riscv32';

export interface QemuOptions {
  machine?: Machine;
  /**
   * hang guard in QEMU's own CPU time (user + system, from /proc): the
   * process is killed once it has used this much (default 20 s), so a busy
   * machine that stretches the wall-clock time does not trip it
   */
  timeoutMs?: number;
  /**
   * hang guard in wall-clock time, for a QEMU that hangs without using CPU
   * (default 10 x timeoutMs; the only guard where /proc is missing)
   */
  wallTimeoutMs?: number;
  /** bytes for the guest's UART receive side, then end of input */
  input?: string;
  /** replaces QEMU_CPU */
  cpu?: string;
  /** appended to the command line */
  extraArgs?: string[];
  binary?: string;
}

export interface QemuResult {
  /** UART output with terminal control sequences removed */
  stdout: string;
  /** UART output exactly as QEMU wrote it */
  rawStdout: string;
  stderr: string;
  /** QEMU's exit status, or null when it was killed */
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** why the guard fired, with the CPU and wall time used; '' when it did not */
  timeoutReason: string;
  durationMs: number;
  /** QEMU's CPU time as last sampled (-1 where /proc is missing) */
  cpuMs: number;
  args: string[];
}

export function qemuArgs(imagePath: string, opts: QemuOptions = {}): string[] {
  const machine = opts.machine ?? 'virt';
  return [
    '-M', machine,
    '-bios', 'none',
    '-nographic',
    '-cpu', opts.cpu ?? QEMU_CPU,
    '-kernel', imagePath,
    ...(opts.extraArgs ?? []),
  ];
}

// CSI sequences (ESC [ ... final byte), OSC sequences (ESC ] ... BEL/ST),
// and two-byte escapes such as ESC c (reset) or ESC 7/8. QEMU 7.2 with
// -nographic on a pipe writes none of these, but a terminal-facing
// chardev may, and they must not count as guest output.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[0-9=>c]/g;

export function stripTerminalNoise(s: string): string {
  return s.replace(ESCAPES, '');
}

/** Is a usable qemu-system-riscv32 on PATH? */
export function qemuAvailable(binary = QEMU_BINARY): boolean {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

// Linux's USER_HZ, the unit of utime/stime in /proc/PID/stat; 100 on
// every architecture Debian ships (proc(5)).
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) of a live process in ms, or -1. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces; fields count from its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14, 15
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : -1;
  } catch {
    return -1;
  }
}

const GUARD_POLL_MS = 250;

export function runQemu(imagePath: string, opts: QemuOptions = {}): Promise<QemuResult> {
  const args = qemuArgs(imagePath, opts);
  const cpuLimitMs = opts.timeoutMs ?? 20_000;
  const wallLimitMs = opts.wallTimeoutMs ?? cpuLimitMs * 10;
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'xsvisor-qemu-'));
  const uartPath = join(dir, 'uart');
  return new Promise((resolve, reject) => {
    const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
    let uartFd: number;
    let child: ChildProcess;
    try {
      uartFd = openSync(uartPath, 'w');
      try {
        child = spawn(opts.binary ?? QEMU_BINARY, args, {
          stdio: [opts.input === undefined ? 'ignore' : 'pipe', uartFd, 'pipe'],
        });
      } finally {
        closeSync(uartFd); // the child holds its own copy
      }
    } catch (e) {
      cleanUp();
      reject(e);
      return;
    }
    const err: Buffer[] = [];
    let timeoutReason = '';
    let cpuMs = -1;
    const guard = setInterval(() => {
      const wallMs = Date.now() - started;
      if (child.pid !== undefined) cpuMs = processCpuMs(child.pid);
      if (cpuMs >= cpuLimitMs) {
        timeoutReason = `used ${cpuMs} ms of CPU (limit ${cpuLimitMs}) in ${wallMs} ms`;
      } else if (wallMs >= wallLimitMs) {
        timeoutReason = `still running after ${wallMs} ms (wall limit ${wallLimitMs}), ${cpuMs < 0 ? 'CPU time unknown' : `${cpuMs} ms of CPU`}`;
      } else {
        return;
      }
      clearInterval(guard);
      child.kill('SIGKILL');
    }, GUARD_POLL_MS);
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.end(opts.input);
    }
    child.on('error', (e) => {
      clearInterval(guard);
      cleanUp();
      reject(e);
    });
    // 'close' comes after the exit and the end of stderr; QEMU has written
    // everything it ever will to the file by then.
    child.on('close', (code, signal) => {
      clearInterval(guard);
      let raw: string;
      try {
        raw = readFileSync(uartPath).toString('latin1');
      } finally {
        cleanUp();
      }
      resolve({
        stdout: stripTerminalNoise(raw),
        rawStdout: raw,
        stderr: Buffer.concat(err).toString('utf8'),
        status: code,
        signal,
        timedOut: timeoutReason !== '',
        timeoutReason,
        durationMs: Date.now() - started,
        cpuMs,
        args,
      });
    });
  });
}
