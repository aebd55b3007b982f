/**
 * bench:xs: the monitor in Moddable's XS engine (xsnap-worker), with V8 as
 * the baseline in the same run, on guests/bin/mips.elf in the virt VM as the
 * CLI and the Moddable app build it (256 KiB of RAM).
 *
 * Prints MIPS and computrons per instruction in both tiers and engines, the
 * same with the code as a ROM region used in place, small experiments run in
 * both engines from one source, and the XS heap the monitor adds beside
 * guest RAM. Method and findings: docs/xs-performance.md. Run: `npm run
 * bench:xs -- [--insns N] [--no-heap] [--board-jit]` (--no-heap skips the
 * heap bisection; --board-jit only prints {@link boardJit}'s figures).
 * Last line: `xs: X MIPS wall, C computrons/insn (jit Y MIPS wall, D
 * computrons/insn), heap Z KiB` (`heap not measured` with `--no-heap`).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { expandCompressed } from '../src/cpu/index.js';
import { planGuestImage } from '../src/moddable/image.js';
import { VirtVm } from '../src/monitor/index.js';
import { XsWorker, type XsMeter } from '../host/xs/index.js';
import { reportTook } from './took.js';

reportTook('xs');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGE_PATH = fileURLToPath(new URL('../guests/bin/mips.elf', import.meta.url));
const RAM_SIZE = 256 * 1024;
const WARMUP = 200_000;
/** Slot size on the 32-bit boards (ESP32, RP2040). */
const BOARD_SLOT_BYTES = 16;

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const XS_INSNS = opt('--insns', 5_000_000);
const V8_INSNS = Math.max(XS_INSNS * 6, 30_000_000);

// ------------------------------------------------------------------ the workload, in either engine

/** What the engine-specific part provides. */
interface Deps {
  readonly VirtVm: typeof VirtVm;
  readonly planGuestImage: typeof planGuestImage;
  /** Milliseconds, fractional. */
  now(): number;
}

/** The operations each engine runs. */
interface Bench {
  load(image: Uint8Array): void;
  /** Extends the code segment at 0x8000_0000 to the end of its page, as a layout padding the read-only segment would. */
  padCodeToPage(): void;
  /** `tier`: the hart's (docs/jit.md); default 'interp'. */
  build(rom: boolean, tier?: 'interp' | 'jit'): number;
  /** The tier the VM's hart runs in, and its block cache (null under the interpreter). */
  tier(): { tier: string; stats: { blocks: number; translations: number } | null };
  run(n: number): { steps: number; ms: number };
  experiment(src: string, input: unknown[], reps: number): { ms: number; check: number };
}

/**
 * The benchmark's side in an engine: builds the VM (code in RAM, or in a
 * ROM region used in place) and runs it, and times experiment functions.
 * Self-contained (it reaches nothing but its argument and ECMAScript
 * globals), since XS gets it as source text.
 */
function benchSide(deps: Deps): Bench {
  let image: Uint8Array = new Uint8Array(0);
  let vm: VirtVm | null = null;
  return {
    load(bytes: Uint8Array): void {
      image = bytes;
    },
    padCodeToPage(): void {
      const copy = image.slice();
      const dv = new DataView(copy.buffer);
      const phoff = dv.getUint32(28, true);
      for (let i = 0; i < dv.getUint16(44, true); i++) {
        const o = phoff + 32 * i;
        if (dv.getUint32(o, true) !== 1 || dv.getUint32(o + 12, true) !== 0x80000000) continue;
        const size = Math.ceil(dv.getUint32(o + 16, true) / 4096) * 4096;
        // Only if the file holds zeros up to the page's end (the linker's padding before the next segment).
        for (let k = dv.getUint32(o + 4, true) + dv.getUint32(o + 16, true); k < dv.getUint32(o + 4, true) + size; k++) {
          if (copy[k] !== 0) throw new Error('the code page is not zero-padded in the file');
        }
        dv.setUint32(o + 16, size, true);
        dv.setUint32(o + 20, size, true);
      }
      image = copy;
    },
    build(rom: boolean, tier: 'interp' | 'jit' = 'interp'): number {
      const plan = deps.planGuestImage(image, 'mips.elf');
      vm = new deps.VirtVm({ image, imageName: 'mips.elf', ramSize: 256 * 1024, clock: { now: () => deps.now() * 1000 }, rom: rom ? plan.rom : [], tier });
      return vm.ramAllocated;
    },
    tier() {
      return { tier: vm!.hart.tier, stats: vm!.hart.jitStats };
    },
    run(n: number): { steps: number; ms: number } {
      const v = vm!;
      const first = v.steps;
      const t0 = deps.now();
      while (v.steps - first < n) {
        const left = n - (v.steps - first);
        const exit = v.run(left < 100000 ? left : 100000);
        if (exit.kind !== 'budget') throw new Error(`the guest ended: ${exit.kind}`);
      }
      return { steps: v.steps - first, ms: deps.now() - t0 };
    },
    experiment(src: string, input: unknown[], reps: number): { ms: number; check: number } {
      // A fresh function per call: no engine shares what it learnt about one variant with the next.
      const fn = new Function(`return ${src}`)() as (...a: unknown[]) => number;
      const t0 = deps.now();
      const check = fn(...input, reps);
      return { ms: deps.now() - t0, check };
    },
  };
}

// ------------------------------------------------------------------ experiments

const OPCODE_NAMES: Record<number, string> = {
  0: 'LOAD', 3: 'MISC-MEM', 4: 'OP-IMM', 5: 'AUIPC', 8: 'STORE', 11: 'AMO', 12: 'OP', 13: 'LUI', 24: 'BRANCH', 25: 'JALR', 27: 'JAL', 28: 'SYSTEM',
};

/** A switch over major opcodes with its cases in `order`; each case does its own small sum so none merge. */
function dispatchSource(order: readonly number[]): string {
  const cases = order.map((op, k) => `case ${op}: acc = (acc + ${k + 1}) | 0; break;`).join(' ');
  return `function dispatch(ops, reps) { let acc = 0; for (let r = 0; r < reps; r++) { for (let i = 0; i < ops.length; i++) { switch (ops[i]) { ${cases} default: acc = (acc - 1) | 0; } } } return acc; }`;
}

/** x[rd] = x[rs1] + x[rs2] over triples of register numbers; `x` is the register file under test. */
const REGFILE_SOURCE = 'function regs(x, idx, reps) { for (let r = 0; r < reps; r++) { for (let i = 0; i < idx.length; i += 3) { x[idx[i]] = (x[idx[i + 1]] + x[idx[i + 2]]) | 0; x[0] = 0; } } return x[10] | 0; }';

/** Sums 32-bit words at the offsets in `at` from a 64 KiB buffer, four ways. */
const LOAD_SOURCES: readonly [string, string][] = [
  ['Int32Array m32[a >> 2]', 'function load(buf, at, reps) { const m = new Int32Array(buf); let s = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < at.length; i++) s = (s + m[at[i] >> 2]) | 0; return s; }'],
  ["two Uint16Array halves (the hart's fetch)", 'function load(buf, at, reps) { const m = new Uint16Array(buf); let s = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < at.length; i++) { const o = at[i] >> 1; s = (s + (m[o] | (m[o + 1] << 16))) | 0; } return s; }'],
  ['four Uint8Array bytes', 'function load(buf, at, reps) { const m = new Uint8Array(buf); let s = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < at.length; i++) { const o = at[i]; s = (s + (m[o] | (m[o + 1] << 8) | (m[o + 2] << 16) | (m[o + 3] << 24))) | 0; } return s; }'],
  ['DataView getInt32(a, true)', 'function load(buf, at, reps) { const d = new DataView(buf); let s = 0; for (let r = 0; r < reps; r++) for (let i = 0; i < at.length; i++) s = (s + d.getInt32(at[i], true)) | 0; return s; }'],
];

interface Mix {
  /** Executed instructions per major opcode (compressed ones by their expansion). */
  readonly counts: Map<number, number>;
  readonly total: number;
  readonly compressed: number;
  /** The major opcodes of a stretch of the run, in order. */
  readonly stream: Int32Array;
}

/** The dynamic instruction mix of mips.elf's first `n` instructions, stepping the hart one instruction at a time (under V8). */
function instructionMix(image: Uint8Array, n: number): Mix {
  const vm = new VirtVm({ image, ramSize: RAM_SIZE, clock: { now: () => 0 } });
  const counts = new Map<number, number>();
  const stream = new Int32Array(65536);
  let compressed = 0;
  for (let i = 0; i < n; i++) {
    const pc = vm.hart.pc >>> 0;
    const lo = vm.space.read(pc as never, 2);
    let inst = lo;
    if ((lo & 3) === 3) inst = lo | (vm.space.read((pc + 2) as never, 2) << 16);
    else {
      compressed++;
      inst = expandCompressed(lo);
    }
    const op = (inst >>> 2) & 31;
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const at = i - (n - stream.length);
    if (at >= 0) stream[at] = op;
    if (vm.run(1).kind !== 'budget') break;
  }
  return { counts, total: n, compressed, stream };
}

// ------------------------------------------------------------------ XS plumbing

/** The core for XS: VirtVm and planGuestImage on a global, then the bench side built from its source. */
async function xsScript(image: Uint8Array): Promise<string> {
  const r = await build({
    stdin: {
      contents: "import { VirtVm } from './src/monitor/index.ts'; import { planGuestImage } from './src/moddable/image.ts'; import { setJitCacheBlocks, setJitHotEntries } from './src/cpu/index.ts'; globalThis.__core = { VirtVm, planGuestImage, setJitCacheBlocks, setJitHotEntries };",
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'bench-xs-entry.ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    // As host/xs/bundle.ts (the CLI's XS bundle): no per-line bytecodes (xsnap keeps line numbers; a board's release build has none).
    minifyWhitespace: true,
    write: false,
    logLevel: 'silent',
  });
  return `${r.outputFiles[0]!.text}
globalThis.bench = (${benchSide.toString()})({ VirtVm: __core.VirtVm, planGuestImage: __core.planGuestImage, now: () => performance.now() });
bench.load(new Uint8Array(${JSON.stringify(Array.from(image))}));`;
}

/** Evaluates `expr` in the worker; returns its value (through JSON) and the evaluation's meter. */
async function xsCall<T>(w: XsWorker, expr: string): Promise<{ value: T; meter: XsMeter }> {
  const r = await w.evaluate(`(() => { const v = (${expr}); return new TextEncoder().encode(JSON.stringify(v === undefined ? null : v)).buffer; })()`);
  return { value: JSON.parse(new TextDecoder().decode(r.result)) as T, meter: r.meter };
}

/** A fresh worker with the script evaluated. */
async function xsWorker(script: string): Promise<XsWorker> {
  const w = new XsWorker({ stdout: 'inherit', parserBufferKiB: Math.ceil(script.length / 1024) + 1024 });
  await w.evaluate(script);
  return w;
}

/**
 * Live slots and free chunk bytes after `setup` and a collection, in
 * fresh workers (growth of the chunk heap is permanent, so each probe
 * needs its own): the largest ArrayBuffer that leaves `allocate` as it was,
 * to 64 bytes.
 */
async function xsHeap(script: string, setup: string, lo = 0, hi = 40 * 1024 * 1024): Promise<{ slots: number; free: number }> {
  const settle = async (): Promise<{ w: XsWorker; meter: XsMeter }> => {
    const w = await xsWorker(script);
    const { meter } = await xsCall(w, `(${setup}, gc(), 0)`);
    return { w, meter };
  };
  const first = await settle();
  const slots = first.meter.currentHeapCount;
  await first.w.close();
  while (hi - lo > 64) {
    const mid = Math.floor((lo + hi) / 128) * 64;
    const { w, meter } = await settle();
    const after = (await xsCall(w, `(globalThis.__probe = new ArrayBuffer(${mid}), 0)`)).meter;
    await w.close();
    if (after.allocate === meter.allocate) lo = mid;
    else hi = mid;
  }
  return { slots, free: lo };
}

/**
 * The board's JIT configuration on the host (bench:board's JIT build:
 * guests/bin/board-bench.elf with its code as a ROM region in place, 64 KiB
 * of guest RAM, 64 cache slots), by xsnap's meter over the guest's first
 * 400 k instructions (it runs 425 k): the interpreter, then the JIT tier
 * with regions translated after 256 entries (the default) and after 16
 * (bench:board's jitHot). Each in a fresh worker, since the cache settings
 * apply to tiers made after them.
 */
async function boardJit(script: string): Promise<void> {
  const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL('../guests/bin/board-bench.elf', import.meta.url))));
  const line = async (label: string, setup: string, tier: string): Promise<void> => {
    const w = await xsWorker(script);
    const run = `(() => { ${setup} const img = new Uint8Array(${JSON.stringify(Array.from(bytes))});
      const vm = new __core.VirtVm({ image: img, imageName: 'board-bench.elf', ramSize: 65536, clock: { now: () => 0 }, rom: __core.planGuestImage(img, 'board-bench.elf').rom, tier: '${tier}' });
      globalThis.__vm = vm; return 0; })()`;
    await xsCall(w, run);
    const r = await xsCall<number>(w, '(() => { let n = 0; while (n < 400000) { __vm.run(10000); n += 10000; } return n; })()');
    const stats = (await xsCall<{ translations: number; blocks: number } | null>(w, '__vm.hart.jitStats')).value;
    await w.close();
    console.log(`board jit config, ${label}: ${f(r.meter.compute / r.value)} computrons/insn${stats !== null ? ` (${stats.translations} translations, ${stats.blocks} blocks cached)` : ''}`);
  };
  await line('interpreter', '', 'interp');
  await line('jit, 64 slots, hot after 256 entries', '__core.setJitCacheBlocks(64);', 'jit');
  await line('jit, 64 slots, hot after 16 entries', '__core.setJitCacheBlocks(64); __core.setJitHotEntries(16);', 'jit');
}

// ------------------------------------------------------------------ the run

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)} %`;
const f = (x: number, d = 1): string => x.toFixed(d);

async function main(): Promise<void> {
  const image = new Uint8Array(readFileSync(IMAGE_PATH));
  if (args.includes('--board-jit')) {
    await boardJit(await xsScript(image));
    return;
  }
  console.log(`bench:xs: guests/bin/mips.elf on VirtVm (${RAM_SIZE / 1024} KiB RAM); XS = xsnap-worker, V8 = Node ${process.version}`);

  // The guest's own instruction mix: the order the dispatch experiment tests.
  const mix = instructionMix(image, 1_000_000);
  const byFreq = [...mix.counts.entries()].sort((a, b) => b[1] - a[1]);
  const order = [...byFreq.map(([op]) => op), ...Object.keys(OPCODE_NAMES).map(Number).filter((op) => !mix.counts.has(op))];
  console.log(`instruction mix (first ${mix.total / 1e6} M, by major opcode; ${pct(mix.compressed, mix.total)} compressed): ` +
    byFreq.map(([op, c]) => `${OPCODE_NAMES[op] ?? op} ${pct(c, mix.total)}`).join(', '));

  // V8: the same side, in this process.
  const v8 = benchSide({ VirtVm, planGuestImage, now: () => performance.now() });
  v8.load(image);
  // Best of three (the machine may be shared): V8's timings vary far more than XS's.
  const v8Run = (rom: boolean, n: number, tier: 'interp' | 'jit' = 'interp'): { steps: number; ms: number } => {
    let best = { steps: 0, ms: Infinity };
    for (let k = 0; k < 3; k++) {
      v8.build(rom, tier);
      v8.run(2_000_000);
      const r = v8.run(n);
      if (r.ms < best.ms) best = r;
    }
    return best;
  };
  const v8Ram = v8Run(false, V8_INSNS);
  const v8Jit = v8Run(false, V8_INSNS, 'jit');
  const v8Rom = v8Run(true, V8_INSNS);
  v8.padCodeToPage();
  const v8RomPaged = v8Run(true, V8_INSNS);

  // XS: one worker for speed and experiments.
  const script = await xsScript(image);
  const w = await xsWorker(script);
  const ramBytes = (await xsCall<number>(w, 'bench.build(false)')).value;
  await xsCall(w, `bench.run(${WARMUP})`);
  const xsRam = await xsCall<{ steps: number; ms: number }>(w, `bench.run(${XS_INSNS})`);
  // The JIT tier (docs/jit.md): same VM, the hart translating guest blocks with `new Function`.
  await xsCall(w, `bench.build(false, 'jit')`);
  await xsCall(w, `bench.run(${WARMUP})`);
  const xsJit = await xsCall<{ steps: number; ms: number }>(w, `bench.run(${XS_INSNS})`);
  const xsJitTier = (await xsCall<{ tier: string; stats: { blocks: number; translations: number } | null }>(w, 'bench.tier()')).value;
  await xsCall(w, 'bench.build(true)');
  await xsCall(w, `bench.run(${WARMUP})`);
  const romInsns = Math.max(1_000_000, Math.floor(XS_INSNS / 4));
  const xsRom = await xsCall<{ steps: number; ms: number }>(w, `bench.run(${romInsns})`);
  await xsCall(w, 'bench.padCodeToPage()');
  await xsCall(w, 'bench.build(true)');
  await xsCall(w, `bench.run(${WARMUP})`);
  const xsRomPaged = await xsCall<{ steps: number; ms: number }>(w, `bench.run(${romInsns})`);
  await xsCall(w, `bench.load(new Uint8Array(${JSON.stringify(Array.from(image))}))`);

  const mips = (r: { steps: number; ms: number }): number => r.steps / r.ms / 1000;
  const xsMips = mips(xsRam.value);
  const cpi = xsRam.meter.compute / xsRam.value.steps;
  console.log(`XS: ${xsRam.value.steps} instructions in ${f(xsRam.value.ms / 1000, 2)} s wall = ${f(xsMips, 2)} MIPS; ` +
    `${f(cpi)} computrons and ${f((xsRam.value.ms * 1e6) / xsRam.value.steps, 0)} ns per instruction`);
  console.log(`V8: ${v8Ram.steps} instructions in ${f(v8Ram.ms / 1000, 2)} s wall = ${f(mips(v8Ram))} MIPS: V8/XS ${f(mips(v8Ram) / xsMips, 0)}x`);
  const romLine = (label: string, xs: { value: { steps: number; ms: number }; meter: XsMeter }, node: { steps: number; ms: number }): void => {
    const c = xs.meter.compute / xs.value.steps;
    console.log(`${label}: XS ${f(mips(xs.value), 2)} MIPS (${f(mips(xs.value) / xsMips, 2)}x of code in RAM; ` +
      `${f(c)} computrons per instruction, ${f(c - cpi)} more), V8 ${f(mips(node))} MIPS (${f(mips(node) / mips(v8Ram), 2)}x)`);
  };
  const jitMips = mips(xsJit.value);
  console.log(`JIT tier (${xsJitTier.tier}${xsJitTier.stats !== null ? `, ${xsJitTier.stats.blocks} blocks cached` : ''}): ` +
    `XS ${f(jitMips, 2)} MIPS (${f(jitMips / xsMips, 2)}x the interpreter; ${f(xsJit.meter.compute / xsJit.value.steps)} computrons per instruction), ` +
    `V8 ${f(mips(v8Jit))} MIPS (${f(mips(v8Jit) / mips(v8Ram), 2)}x)`);
  romLine('code in ROM, its last page shared with RAM', xsRom, v8Rom);
  romLine('code in ROM padded to whole pages', xsRomPaged, v8RomPaged);

  // Experiments: same source in both engines; XS's computrons from its meter.
  console.log('experiments (per operation: XS ns, XS computrons | V8 ns):');
  const buf64k = 'new ArrayBuffer(65536)';
  const words = 'Int32Array.from({ length: 65536 }, (_, i) => ((Math.imul(i, 2654435761) >>> 0) % 16383) * 4)';
  const regIdx = 'Int32Array.from({ length: 3 * 21845 }, (_, i) => 1 + ((Math.imul(i, 2654435761) >>> 7) % 31))';
  const experiment = async (label: string, src: string, inputs: string, ops: number, xsReps: number): Promise<void> => {
    // Inputs first, in their own evaluation, so the meter of the next one counts the experiment alone.
    await xsCall(w, `(globalThis.__in = [${inputs}], 0)`);
    // Best of three by time (the machine may be shared); computrons are the same every time.
    let xsMs = Infinity;
    let compute = 0;
    let v8Ms = Infinity;
    const v8Reps = xsReps * 40;
    const v8Inputs = new Function(`return [${inputs}]`)() as unknown[];
    for (let k = 0; k < 3; k++) {
      const xs = await xsCall<{ ms: number; check: number }>(w, `bench.experiment(${JSON.stringify(src)}, __in, ${xsReps})`);
      xsMs = Math.min(xsMs, xs.value.ms);
      compute = xs.meter.compute;
      v8Ms = Math.min(v8Ms, v8.experiment(src, v8Inputs, v8Reps).ms);
    }
    const n = ops * xsReps;
    console.log(`  ${label}: ${f((xsMs * 1e6) / n)} ns, ${f(compute / n)} | ${f((v8Ms * 1e6) / (ops * v8Reps), 2)} ns`);
  };
  const stream = `Int32Array.from(${JSON.stringify(Array.from(mix.stream))})`;
  await experiment('switch, frequent opcodes first', dispatchSource(order), stream, mix.stream.length, 8);
  await experiment('switch, frequent opcodes last', dispatchSource([...order].reverse()), stream, mix.stream.length, 8);
  await experiment('register file Int32Array(32)', REGFILE_SOURCE, `new Int32Array(32), ${regIdx}`, 21845, 24);
  await experiment('register file Array(32)', REGFILE_SOURCE, `new Array(32).fill(0), ${regIdx}`, 21845, 24);
  for (const [label, src] of LOAD_SOURCES) await experiment(`32-bit load, ${label}`, src, `${buf64k}, ${words}`, 65536, 8);
  await w.close();

  // Heap: the VM's slots and chunks, apart from guest RAM.
  let heapKiB = NaN;
  if (!args.includes('--no-heap')) {
    const without = await xsHeap(script, '0');
    // The VM takes its RAM and less than a MiB more: search only there.
    const below = Math.max(0, without.free - ramBytes - 1024 * 1024);
    const withVm = await xsHeap(script, `bench.build(false), bench.run(${WARMUP})`, below, without.free);
    const withRom = await xsHeap(script, `bench.build(true), bench.run(${WARMUP})`, below, without.free);
    const withJit = await xsHeap(script, `bench.build(false, 'jit'), bench.run(${WARMUP}), bench.run(${XS_INSNS})`, below, without.free);
    const slots = withVm.slots - without.slots;
    const chunks = without.free - withVm.free - ramBytes;
    heapKiB = (slots * BOARD_SLOT_BYTES + chunks) / 1024;
    console.log(`heap: the VM adds ${slots} live slots (${f((slots * BOARD_SLOT_BYTES) / 1024)} KiB at ${BOARD_SLOT_BYTES} B; ` +
      `${f((slots * 32) / 1024)} KiB in 64-bit xsnap) and ${f(chunks / 1024)} KiB of chunks besides its ${ramBytes / 1024} KiB of guest RAM`);
    console.log(`heap, code as ROM in place: chunks ${f((without.free - withRom.free) / 1024)} KiB in all (guest RAM included) against ` +
      `${f((without.free - withVm.free) / 1024)} KiB with the code copied to RAM; slots ${withRom.slots - without.slots}`);
    const jitSlots = withJit.slots - withVm.slots;
    const jitChunks = withVm.free - withJit.free;
    console.log(`heap, JIT tier after ${XS_INSNS / 1e6} M instructions (${xsJitTier.stats?.blocks ?? 0} blocks): ${jitSlots} more live slots ` +
      `(${f((jitSlots * BOARD_SLOT_BYTES) / 1024)} KiB at ${BOARD_SLOT_BYTES} B) and ${f(jitChunks / 1024)} KiB more chunks than the interpreter`);
  }
  console.log(`xs: ${f(xsMips, 2)} MIPS wall, ${f(cpi)} computrons/insn (jit ${f(mips(xsJit.value), 2)} MIPS wall, ${f(xsJit.meter.compute / xsJit.value.steps)} computrons/insn), heap ${Number.isNaN(heapKiB) ? 'not measured' : `${f(heapKiB)} KiB`}`);
}

await main();
