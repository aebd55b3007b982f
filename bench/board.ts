/**
 * bench:board: xsvisor's firmware measured in the real runtime, the stock
 * Moddable SDK build on an emulated Pico (rp2040js at 125 MHz). Not in CI.
 *
 * Builds the release firmware and an instrumented one (with $MODDABLE or the
 * vendored SDKs of $XSVISOR_VENDOR) and prints, in simulated time: flash and
 * static RAM, boot to the guest's first UART byte, the XS heap after boot and
 * at its peak, guest instructions per second and RP2040 cycles per guest
 * instruction, and the monitor's cost per extra VM (XS heap, cycles per
 * slice; `--per-vm` runs that part alone). Method and figures:
 * docs/moddable.md ("Budget and speed"). Last line: `board pico: X
 * cycles/insn, Y guest insn/s simulated, boot Z ms simulated, heap W KiB`
 * (by the emulated RP2040's clock). With `--jit`, a third build runs the
 * compute guest in the JIT tier (XS's compiler in the firmware, `new
 * Function`), guest RAM cut to JIT_RAM so the block cache fits the heap,
 * and prints its figures first (see {@link jitFigures}); `--jit-only` runs
 * that build alone, `--interp-only` the interpreter's compute build alone.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware, type FirmwareInfo } from '../host/board/firmware.js';
import { boardCacheDir, findBoardSdk, ROOT, type BoardSdk } from '../host/board/sdk.js';
import { loadBootrom, readFirmware } from '../host/board/cli.js';
import { PicoSession } from '../host/board/session.js';
import { parseBoard } from '../src/board/index.js';

/** What one emulated run saw. */
interface RunFigures {
  readonly firstByteNs: number;
  readonly vmStart: { simNs: number; cycles: number } | null;
  readonly end: { simNs: number; cycles: number; instructions: number } | null;
  readonly heap: Record<string, { slots: number; chunks: number; stack: number }>;
  readonly console: string;
  /** The firmware's USB stdio lines that start with `xsvisor` or `#` (the last 50). */
  readonly usb: readonly string[];
  readonly wallMs: number;
  readonly simNs: number;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function emulate(dir: string, boardFile: string, stopAt: 'first-byte' | 'end', maxSimNs: number): Promise<RunFigures> {
  const { uf2, info } = readFirmware(dir);
  const board = parseBoard(readFileSync(boardFile, 'utf8'), boardFile);
  let consoleText = '';
  let firstByteNs = -1;
  let vmStart: RunFigures['vmStart'] = null;
  let end: RunFigures['end'] = null;
  const heap: RunFigures['heap'] = {};
  const usb: string[] = [];
  let session: PicoSession | null = null;
  let aborted = false;
  session = new PicoSession({
    board, uf2, bootrom: await loadBootrom(), stdioUsbOut: info.stdioUsbOut,
    onConsoleByte: (b) => {
      if (firstByteNs < 0) firstByteNs = session!.pico.simNs;
      if (consoleText.length < 65536) consoleText += String.fromCharCode(b);
    },
    onUsbLine: (line) => {
      const s = session!.stats;
      // The Pico SDK's malloc panics (`*** PANIC ***`, `Out of memory`) when XS's parser finds no C heap: the core then hangs.
      const panic = line.includes('PANIC') || line === 'Out of memory';
      if ((line.startsWith('xsvisor') || line.startsWith('#') || panic) && usb.push(line) > 50) usb.shift();
      if (line.startsWith('xsvisor: clock ')) vmStart = { simNs: s.simNs, cycles: s.cycles };
      const n = /^xsvisor: (\d+) instructions in /.exec(line);
      if (n !== null) end = { simNs: s.simNs, cycles: s.cycles, instructions: Number(n[1]) };
      const h = /^xsvisor-bench: heap (.+): slots (-?\d+) B, chunks (-?\d+) B, stack (-?\d+) B$/.exec(line);
      if (h !== null) heap[h[1]!] = { slots: Number(h[2]), chunks: Number(h[3]), stack: Number(h[4]) };
      if (line.startsWith('#') || line.includes('cannot start') || panic) process.stderr.write(`pico usb: ${line} (${(s.simNs / 1e9).toFixed(2)} s simulated)\n`);
      // XS aborted (`# Chunk allocation: failed ...`) or the app refused to start: nothing more will come.
      if (line.startsWith('# ') || line.includes('cannot start') || panic) aborted = true;
    },
  });
  if (stopAt === 'first-byte') {
    await session.runUntil(() => aborted || (firstByteNs >= 0 && heap['after boot'] !== undefined), maxSimNs);
  } else {
    // The heap's peak line follows the monitor's last line, once the app's run has settled.
    await session.pico.runUntil(() => aborted || heap['peak'] !== undefined, maxSimNs);
  }
  const st = session.stats;
  session.close();
  return { firstByteNs, vmStart, end, heap, console: consoleText, usb, wallMs: st.wallMs, simNs: st.simNs };
}

/** Guest RAM of the JIT build (the least a board file allows; board-bench.elf needs 34 KiB beside its code in flash) and its block cache slots. */
const JIT_RAM = '64KiB';
const JIT_BLOCKS = 64;
/**
 * Entries before a region is translated (mc/config jitHot): the tier's
 * default. On the host's meter 16 would win for this short guest (`npm run
 * bench:xs -- --board-jit`: 36.3 computrons per instruction against 93.8),
 * but on the Pico each translation is what costs (docs/moddable.md: 21,000
 * instructions in 600 simulated seconds at 256), so more would not help.
 */
const JIT_HOT = 256;
/** The JIT build's static XS heap: the app's 245,760 less the 48 KiB of guest RAM it does not allocate. */
const JIT_STATIC = 196608;

/**
 * The compute guest in the JIT tier: a firmware whose mc/config says
 * `tier: "jit"` (src/moddable/bench.ts sets the default tier and the cache
 * size), on the bench board with JIT_RAM of guest RAM. Prints the tier the
 * firmware ran (the interpreter if the compiler is stripped), its cache and
 * cycles per instruction; returns them.
 */
async function jitFigures(sdk: BoardSdk, work: string, boardFile: string): Promise<{ cyclesPerInsn: number; peakKiB: number } | null> {
  const jitBoard = join(work, 'pico-bench-jit.json');
  const base = JSON.parse(readFileSync(boardFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(jitBoard, JSON.stringify({ ...base, name: 'pico-bench-jit', ramBudget: JIT_RAM }, null, 2));
  const manifest = join(work, 'manifest-jit.json');
  const bench = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  // XS's parser allocates with the C heap (the Pico SDK's malloc panics "Out of memory" when it fails): the static
  // XS heap gives back what the smaller guest RAM frees.
  writeFileSync(manifest, JSON.stringify({ ...bench, config: { tier: 'jit', jitBlocks: JIT_BLOCKS, jitHot: JIT_HOT }, platforms: { pico: { creation: { static: JIT_STATIC } } } }, null, '\t'));
  const dir = join(ROOT, 'dist', 'board', 'bench-jit');
  await buildFirmware(sdk, { board: jitBoard, manifest, instrument: true, outDir: dir, guest: join(ROOT, 'guests', 'bin', 'board-bench.elf'), say: (l) => process.stderr.write(`bench:board: ${l}\n`) });
  const run = await emulate(dir, jitBoard, 'end', 600e9);
  const checksum = /checksum ([0-9a-f]{8})/.exec(run.console)?.[1];
  const vmStart = run.vmStart as RunFigures['vmStart'];
  const end = run.end as RunFigures['end'];
  for (const l of run.usb.filter((x) => x.startsWith('xsvisor-bench: tier') || x.startsWith('xsvisor-bench: jit'))) say(`jit build: ${l.slice('xsvisor-bench: '.length)}`);
  if (vmStart === null || end === null) {
    say(`jit build: the compute run did not finish; console: ${JSON.stringify(run.console.slice(-300))}; usb: ${JSON.stringify(run.usb.slice(-5))}`);
    return null;
  }
  const cyclesPerInsn = (end.cycles - vmStart.cycles) / end.instructions;
  const peak = run.heap['peak'];
  const peakKiB = peak ? Math.round((peak.slots + peak.chunks) / 1024) : -1;
  say(`jit build (guest RAM ${JIT_RAM}, ${JIT_BLOCKS} cache slots, hot after ${JIT_HOT} entries): ${end.instructions} instructions, checksum ${checksum ?? '?'}, ${Math.round(cyclesPerInsn)} cycles/insn, heap peak ${peakKiB} KiB`);
  return { cyclesPerInsn, peakKiB };
}

/** What {@link windowRun} saw: the XS heap after boot, and cycles and instructions between two of the app's instret samples. */
interface WindowFigures {
  readonly heap: { slots: number; chunks: number } | null;
  readonly cycles: number;
  /** Simulated time between the two samples (the core asleep in WFI takes time but no cycles). */
  readonly simNs: number;
  readonly instructions: number;
  readonly aborted: string | null;
}

/**
 * Boots an instrumented firmware (src/moddable/bench.ts traces the
 * instructions retired every second) and measures RP2040 cycles over
 * `seconds` such samples, starting at the second one (the VMs are then
 * past their boot). Stops there, or at an XS abort.
 */
async function windowRun(dir: string, boardFile: string, seconds: number): Promise<WindowFigures> {
  const { uf2, info } = readFirmware(dir);
  const board = parseBoard(readFileSync(boardFile, 'utf8'), boardFile);
  const samples: { cycles: number; simNs: number; instret: number }[] = [];
  let heap: WindowFigures['heap'] = null;
  let aborted: string | null = null;
  let session: PicoSession | null = null;
  session = new PicoSession({
    board, uf2, bootrom: await loadBootrom(), stdioUsbOut: info.stdioUsbOut,
    onUsbLine: (line) => {
      const n = /^xsvisor-bench: instret (\d+)$/.exec(line);
      if (n !== null) samples.push({ cycles: session!.stats.cycles, simNs: session!.stats.simNs, instret: Number(n[1]) });
      const h = /^xsvisor-bench: heap after boot: slots (-?\d+) B, chunks (-?\d+) B/.exec(line);
      if (h !== null) heap = { slots: Number(h[1]), chunks: Number(h[2]) };
      if (line.startsWith('# ') || line.includes('cannot start') || line.includes('PANIC') || line === 'Out of memory') aborted = aborted === null ? line : `${aborted} ${line}`;
    },
  });
  await session.runUntil(() => aborted !== null || samples.length > seconds + 1, 120e9);
  session.close();
  const a = samples[1];
  const b = samples[seconds + 1];
  if (a === undefined || b === undefined) return { heap, cycles: 0, simNs: 0, instructions: 0, aborted: aborted ?? 'no instret samples' };
  return { heap, cycles: b.cycles - a.cycles, simNs: b.simNs - a.simNs, instructions: b.instret - a.instret, aborted };
}

/**
 * The monitor's cost per extra VM (docs/moddable.md, "Per extra VM"): the
 * instrumented firmware with a configuration of one VM and of two, each
 * running board-spin.elf (computes forever without trapping, in 8 KiB of
 * RAM), measured over 4 simulated seconds after boot. Per extra VM: XS
 * slots and chunks after boot (the chunks less the VM's RAM), and RP2040
 * cycles per scheduling slice (1000 guest instructions, the Pico's
 * mc/config slice) with one VM and with two: their difference is what a
 * second VM adds to each slice.
 */
async function perVmCost(sdk: BoardSdk, work: string, boardFile: string, manifest: string, log: (line: string) => void): Promise<void> {
  const image = join(ROOT, 'guests', 'bin', 'board-spin.elf');
  const ram = 8 * 1024;
  const slice = 1000;
  const runs: { heap: { slots: number; chunks: number }; cyclesPerSlice: number }[] = [];
  for (const n of [1, 2]) {
    const config = join(work, `vms-${n}.json`);
    writeFileSync(config, JSON.stringify({
      board: boardFile,
      vms: Array.from({ length: n }, (_, i) => ({ name: `vm${i + 1}`, image, ram: `${ram / 1024}KiB`, uart: 'console' })),
    }, null, 2));
    const dir = join(ROOT, 'dist', 'board', `bench-vms-${n}`);
    await buildFirmware(sdk, { config, manifest, instrument: true, outDir: dir, say: log });
    const r = await windowRun(dir, boardFile, 4);
    if (r.aborted !== null || r.heap === null) throw new Error(`the ${n}-VM firmware did not run: ${r.aborted ?? 'no heap figures'}`);
    const slices = r.instructions / slice;
    runs.push({ heap: r.heap, cyclesPerSlice: r.cycles / slices });
    say(`${n} VM${n > 1 ? 's' : ''} of board-spin.elf (8 KiB of RAM each): XS heap after boot slots ${r.heap.slots} B, chunks ${r.heap.chunks} B; ` +
      `${r.instructions} instructions in ${(r.simNs / 1e9).toFixed(2)} s simulated (core busy ${(100 * r.cycles / (r.simNs * 0.125)).toFixed(0)} %), ` +
      `${Math.round(r.cycles / slices)} cycles per slice of ${slice}, ${Math.round(r.cycles / r.instructions)} cycles/insn`);
  }
  const [one, two] = runs as [typeof runs[0], typeof runs[0]];
  const d = Math.round(two.cyclesPerSlice - one.cyclesPerSlice);
  say(`per extra VM: ${two.heap.slots - one.heap.slots} B of slots, ${two.heap.chunks - one.heap.chunks - ram} B of chunks besides its ${ram} B of RAM; ` +
    `${d >= 0 ? '+' : ''}${d} cycles per slice (${(100 * d / one.cyclesPerSlice).toFixed(1)} %: ${Math.round(one.cyclesPerSlice)} with one VM, ${Math.round(two.cyclesPerSlice)} with two)`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const sdk: BoardSdk = await findBoardSdk(process.env, (line) => process.stderr.write(`bench:board: ${line}\n`));
  const work = join(boardCacheDir(), 'bench');
  mkdirSync(work, { recursive: true });
  // The Pico board with the monitor's messages off the console: every console byte is the guest's.
  const boardFile = join(work, 'pico-bench.json');
  const pico = JSON.parse(readFileSync(join(ROOT, 'boards', 'pico.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  writeFileSync(boardFile, JSON.stringify({ ...pico, name: 'pico-bench', uart0: { ...pico['uart0'], messages: false } }, null, 2));
  const manifest = join(work, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({
    include: [join(ROOT, 'manifest.json'), '$(MODDABLE)/modules/base/instrumentation/manifest.json'],
    modules: { 'src/moddable/bench': join(ROOT, 'src', 'moddable', 'bench') },
    preload: ['src/moddable/bench'],
    creation: { main: 'src/moddable/bench' },
  }, null, '\t'));

  const log = (line: string): void => {
    process.stderr.write(`bench:board: ${line}\n`);
  };
  if (process.argv.includes('--jit-only')) {
    // The JIT build alone (half the time of a whole run).
    await jitFigures(sdk, work, boardFile);
    return;
  }
  // `npm run bench:board -- --per-vm`: the cost per extra VM alone (about a third of the whole run).
  if (process.argv.includes('--per-vm')) {
    await perVmCost(sdk, work, boardFile, manifest, log);
    say(`bench:board took ${((Date.now() - t0) / 1000).toFixed(0)} s wall`);
    return;
  }
  if (process.argv.includes('--interp-only')) {
    // The compute build alone (the interpreter's cycles per instruction; about a third of a whole run).
    const dir = join(ROOT, 'dist', 'board', 'bench-compute');
    await buildFirmware(sdk, { board: boardFile, manifest, instrument: true, outDir: dir, guest: join(ROOT, 'guests', 'bin', 'board-bench.elf'), say: log });
    const run = await emulate(dir, boardFile, 'end', 600e9);
    const vmStart = run.vmStart as RunFigures['vmStart'];
    const end = run.end as RunFigures['end'];
    if (vmStart === null || end === null) throw new Error(`the compute run did not finish; console:\n${run.console}`);
    const checksum = /checksum ([0-9a-f]{8})/.exec(run.console)?.[1];
    say(`interpreter: ${end.instructions} instructions, checksum ${checksum ?? '?'} (QEMU: 9e50ec45), ${Math.round((end.cycles - vmStart.cycles) / end.instructions)} cycles/insn, ` +
      `${Math.round(end.instructions / ((end.simNs - vmStart.simNs) / 1e9))} guest insn/s simulated`);
    say(`bench:board took ${((Date.now() - t0) / 1000).toFixed(0)} s wall`);
    return;
  }
  const release: FirmwareInfo = await buildFirmware(sdk, { board: 'pico', say: log });
  const bootDir = join(ROOT, 'dist', 'board', 'bench-boot');
  await buildFirmware(sdk, { board: boardFile, manifest, instrument: true, outDir: bootDir, say: log });
  const boot = await emulate(bootDir, boardFile, 'first-byte', 60e9);
  const computeDir = join(ROOT, 'dist', 'board', 'bench-compute');
  await buildFirmware(sdk, { board: boardFile, manifest, instrument: true, outDir: computeDir, guest: join(ROOT, 'guests', 'bin', 'board-bench.elf'), say: log });
  const compute = await emulate(computeDir, boardFile, 'end', 600e9);
  if (process.argv.includes('--jit')) await jitFigures(sdk, work, boardFile);

  const checksum = /checksum ([0-9a-f]{8})/.exec(compute.console)?.[1];
  const vmStart = compute.vmStart as RunFigures['vmStart'];
  const end = compute.end as RunFigures['end'];
  if (vmStart === null || end === null) throw new Error(`the compute run did not finish; console:\n${compute.console}`);
  const insns = end.instructions;
  const cyclesPerInsn = (end.cycles - vmStart.cycles) / insns;
  const insnPerSec = insns / ((end.simNs - vmStart.simNs) / 1e9);
  const afterBoot = boot.heap['after boot'];
  const peak = compute.heap['peak'];
  say(`firmware (release, demo guest): flash ${release.sizes?.flash ?? '?'} B, static RAM (.data+.bss) ${release.sizes?.ram ?? '?'} B; ${release.preloads.length} modules preloaded, xsl ${release.xslInstances} instances`);
  say(`boot: reset to the guest's first UART byte ${(boot.firstByteNs / 1e6).toFixed(0)} ms simulated (${(boot.wallMs / 1000).toFixed(1)} s wall)`);
  if (afterBoot) say(`XS heap after boot (demo): slots ${afterBoot.slots} B, chunks ${afterBoot.chunks} B, stack ${afterBoot.stack} B`);
  if (peak) say(`XS heap peak (compute guest, sampled every 10 ms): slots ${peak.slots} B, chunks ${peak.chunks} B, stack ${peak.stack} B`);
  say(`compute guest: ${insns} instructions, checksum ${checksum ?? '?'} (QEMU: 9e50ec45), ${((end.simNs - vmStart.simNs) / 1e9).toFixed(2)} s simulated, ${(compute.wallMs / 1000).toFixed(1)} s wall for the whole run`);
  await perVmCost(sdk, work, boardFile, manifest, log);
  say(`bench:board took ${((Date.now() - t0) / 1000).toFixed(0)} s wall`);
  const heapKiB = peak ? Math.round((peak.slots + peak.chunks) / 1024) : -1;
  say(`board pico: ${Math.round(cyclesPerInsn)} cycles/insn, ${Math.round(insnPerSec)} guest insn/s simulated, boot ${(boot.firstByteNs / 1e6).toFixed(0)} ms simulated, heap ${heapKiB} KiB`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:board: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
