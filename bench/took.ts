/**
 * The time a benchmark took, said on stderr when it ends, so a user knows
 * what to expect before running it again: wall time, and the CPU time of
 * this Node process (an XS worker's or QEMU's CPU time is not in it).
 */
import { performance } from 'node:perf_hooks';

/** Prints `bench:NAME took ...` on stderr when the process exits. Call once, first thing. */
export function reportTook(name: string): void {
  const started = performance.now();
  process.on('exit', () => {
    const wall = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage();
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const minutes = wall >= 90 ? ` (${Math.floor(wall / 60)} min ${Math.round(wall % 60)} s)` : '';
    process.stderr.write(`bench:${name} took ${wall.toFixed(1)} s wall${minutes}, ${cpuSeconds.toFixed(1)} s CPU in this Node process\n`);
  });
}
