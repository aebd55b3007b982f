/**
 * Whole-process CPU time of a child: the figure bench:coremark and
 * bench:boot compare between xsvisor's CLI and QEMU, which measures both
 * the same way (start-up, every thread, user + system) and does not depend
 * on how busy the shared machine is, as wall time does.
 *
 * How: the child runs under `sh`, which waits for it and then prints its
 * own /proc/PID/stat, whose cutime and cstime (fields 16 and 17, proc(5))
 * hold the waited-for child's CPU time in clock ticks (USER_HZ, 100 on
 * every architecture Debian ships): 10 ms resolution. Linux only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const CLOCK_TICKS_PER_SECOND = 100;
const STAT_MARK = '@@child-cpu@@';

/** What {@link runMeasured} returns. */
export interface Measured {
  status: number | null;
  stdout: string;
  stderr: string;
  /** user + system CPU seconds of the child and everything it waited for */
  cpuSeconds: number;
  wallSeconds: number;
}

/** Runs `cmd args` to its end (no stdin) and measures it. Throws when the measurement itself fails. */
export function runMeasured(cmd: string, args: readonly string[], timeoutMs = 30 * 60_000): Measured {
  if (!existsSync('/proc/self/stat')) throw new Error('child CPU time needs Linux /proc');
  const script = `"$0" "$@"; s=$?; printf '\\n${STAT_MARK}%s\\n' "$(cat /proc/$$/stat)" >&2; exit $s`;
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', script, cmd, ...args], {
    encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.error !== undefined) throw new Error(`${cmd}: ${r.error.message}`);
  const at = r.stderr.lastIndexOf(STAT_MARK);
  if (at < 0) throw new Error(`${cmd}: no CPU time (killed? signal ${r.signal ?? 'none'})`);
  const stat = r.stderr.slice(at + STAT_MARK.length).trim();
  // The command name (field 2) may hold spaces: count fields from its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime: fields 16, 17
  if (!Number.isFinite(ticks)) throw new Error(`${cmd}: unreadable /proc stat line: ${stat}`);
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr.slice(0, at).replace(/\n$/, ''),
    cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
    wallSeconds,
  };
}

/** QEMU's binary (the same variable as tests/qemu). */
export const QEMU = process.env['QEMU_SYSTEM_RISCV32'] ?? 'qemu-system-riscv32';

/** True when QEMU answers `--version`. */
export function haveQemu(): boolean {
  return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The lines of `text` that are the guest's (xsvisor's own `xsvisor:` lines and terminal noise left out). */
export function guestLines(text: string): string[] {
  return text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, '')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('xsvisor:'));
}

/** QEMU's reference CPU (tests/qemu/qemu.ts, bench/mips.ts): RV32IMAC with S and U. */
export const QEMU_CPU = 'rv32,f=false,d=false,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false';

/** One measured configuration of a comparison. */
export interface Contender {
  /** the row's label */
  label: string;
  cmd: string;
  args: string[];
}

/** A contender's best run: the lowest CPU time of its rounds, and its output. */
export interface Result {
  label: string;
  cpu: number;
  wall: number;
  /** CPU time of every round, in order */
  rounds: number[];
  lines: string[];
}

/**
 * Runs every contender `rounds` times, interleaved (round 1 of each, then
 * round 2 ...: load on the machine hits them alike), and checks each run's
 * guest output against the first contender's (QEMU's): the exit status must
 * be 0 and the guest lines equal. Throws naming the first difference.
 */
export function compare(contenders: readonly Contender[], rounds: number, log: (s: string) => void): Result[] {
  const results: Result[] = contenders.map((c) => ({ label: c.label, cpu: Infinity, wall: Infinity, rounds: [], lines: [] }));
  for (let round = 0; round < rounds; round++) {
    contenders.forEach((c, i) => {
      const r = runMeasured(c.cmd, c.args);
      const lines = guestLines(r.stdout);
      if (r.status !== 0) throw new Error(`${c.label}: exit status ${r.status}; stderr ${JSON.stringify(r.stderr.slice(-400))}`);
      const ref = i === 0 && round === 0 ? lines : results[0].lines;
      const diff = firstDifference(ref, lines);
      if (diff !== null) throw new Error(`${c.label}: output differs from ${contenders[0].label}'s at ${diff}`);
      const res = results[i];
      res.rounds.push(r.cpuSeconds);
      if (round === 0 && i === 0) res.lines = lines;
      if (r.cpuSeconds < res.cpu) {
        res.cpu = r.cpuSeconds;
        res.wall = r.wallSeconds;
      }
      log(`  round ${round + 1} ${c.label}: ${r.cpuSeconds.toFixed(2)} s CPU, ${r.wallSeconds.toFixed(2)} s wall`);
    });
  }
  return results;
}

function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: ${JSON.stringify(a[i] ?? '(end)')} / ${JSON.stringify(b[i] ?? '(end)')}`;
  }
  return null;
}

/** Prints the table of `results` with each one's ratio to the first's CPU time. */
export function printTable(results: readonly Result[], log: (s: string) => void): void {
  const ref = results[0].cpu;
  log(`${'run'.padEnd(52)} ${'CPU s'.padStart(8)} ${'wall s'.padStart(8)} ${'x QEMU'.padStart(8)}`);
  for (const r of results) {
    log(`${r.label.padEnd(52)} ${r.cpu.toFixed(2).padStart(8)} ${r.wall.toFixed(2).padStart(8)} ${(r.cpu / ref).toFixed(2).padStart(8)}`);
  }
}
