// qemu.ts: runs a guest image under qemu-system-riscv32 (Debian's
// qemu-system-misc, QEMU 7.2) the way the project compares against it:
// `-M virt -bios none -nographic` with a CPU trimmed to RV32IMAC + S/U, or
// `-M spike` for HTIF guests, with a timeout, capturing the UART (QEMU's
// stdout) and the exit status that the test finisher / HTIF produce.

import { spawn, spawnSync } from 'node:child_process';

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
  /** wall-clock limit; the process is killed after it (default 20 s) */
  timeoutMs?: number;
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
  durationMs: number;
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

export function runQemu(imagePath: string, opts: QemuOptions = {}): Promise<QemuResult> {
  const args = qemuArgs(imagePath, opts);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(opts.binary ?? QEMU_BINARY, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // stdout and stderr are pipes, as requested above
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.end(opts.input);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const raw = Buffer.concat(out).toString('latin1');
      resolve({
        stdout: stripTerminalNoise(raw),
        rawStdout: raw,
        stderr: Buffer.concat(err).toString('utf8'),
        status: code,
        signal,
        timedOut,
        durationMs: Date.now() - started,
        args,
      });
    });
  });
}
