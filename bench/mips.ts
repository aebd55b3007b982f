/**
 * bench:mips: guest instructions per second of the hart, in the interpreter
 * and the JIT tier, under Node (V8) and, with `--xs`, under XS.
 *
 * Workload: guests/bin/mips.elf (120,583,674 instructions, checked against
 * QEMU) or a synthetic program (`--synthetic`). Prints per tier MIPS by wall
 * clock and CPU time: bare, on the CLI's VirtVm, through Sv32 pages, and
 * QEMU's (wall and whole-process CPU time) when installed. Method: README,
 * "Benchmarks".
 *
 *   npm run bench:mips -- [--rounds N] [--slice N] [--synthetic] [--xs]
 *     [--xs-insns N] [--no-paged] [--no-vm] [--no-qemu] [--tier interp|jit]
 * Last line: `mips: interp X, jit Y (MIPS by wall clock); by CPU: interp bare
 * A, VirtVm B; jit bare C, VirtVm D; QEMU E (whole process)` (Node: best round).
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AddrRange, type GuestPhysAddr } from '../src/addr/index.js';
import { EmuDeviceType, type AccessWidth, type BaseDeviceOps } from '../src/device/index.js';
import { GuestAddressSpace } from '../src/addrspace/index.js';
import { loadImage } from '../src/loader/index.js';
import { ExitReason, Hart } from '../src/cpu/index.js';
import { VirtVm } from '../src/monitor/index.js';
import * as E from '../tests/core/rv-encode.js';
import { haveQemu, QEMU, QEMU_CPU, runMeasured } from './child-cpu.js';
import { reportTook } from './took.js';

reportTook('mips');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 16 * 1024 * 1024;
const MIPS_ELF = new URL('../guests/bin/mips.elf', import.meta.url);
const HELLO_ELF = new URL('../guests/bin/hello.elf', import.meta.url);
/** What QEMU 7.2 (`-icount shift=0`) counts and prints for mips.elf. */
const MIPS_ELF_INSTRUCTIONS = 120_583_674;
const MIPS_ELF_CHECKSUM = 'checksum 14309215';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('--rounds', 3);
const SLICE = opt('--slice', 1_000_000);
const XS_INSNS = opt('--xs-insns', 5_000_000);
const PAGED = !args.includes('--no-paged');
const VM = !args.includes('--no-vm');

/** A write-only console: THR collects bytes, LSR always reads "transmitter empty". */
class UartSink implements BaseDeviceOps {
  readonly name = 'uart0';
  out = '';
  emuType() {
    return EmuDeviceType.Uart;
  }
  addressRange() {
    return AddrRange.fromStartSize(0x1000_0000 as GuestPhysAddr, 0x100);
  }
  handleRead(offset: number, _w: AccessWidth): number {
    return offset === 5 ? 0x60 : 0;
  }
  handleWrite(offset: number, _w: AccessWidth, v: number | bigint): void {
    if (offset === 0) this.out += String.fromCharCode(Number(v) & 0xff);
  }
}

/** sifive,test0 reduced to what the bench needs: any write stops the hart. */
class Finisher implements BaseDeviceOps {
  readonly name = 'test';
  constructor(private readonly stop: () => void) {}
  emuType() {
    return EmuDeviceType.TestFinisher;
  }
  addressRange() {
    return AddrRange.fromStartSize(0x0010_0000 as GuestPhysAddr, 0x1000);
  }
  handleRead(): number {
    return 0;
  }
  handleWrite(): void {
    this.stop();
  }
}

interface Workload {
  name: string;
  /** An ELF file or a raw image for RAM_BASE. */
  image: Uint8Array;
  expectInstructions: number | null;
  expectOutput: string | null;
  /** Where the paged variant leaves M-mode: `main`, or the entry of a raw image. */
  start: number;
}

/** `main` of an ELF image (its entry when there is none). */
function startOf(image: Uint8Array): number {
  const loaded = loadImage({ image, ram: { base: RAM_BASE, bytes: new Uint8Array(RAM_SIZE) } });
  return loaded.symbol('main') ?? loaded.entry;
}

function workload(): Workload {
  if (!args.includes('--synthetic') && existsSync(MIPS_ELF)) {
    const image = new Uint8Array(readFileSync(MIPS_ELF));
    return {
      name: 'guests/bin/mips.elf',
      image,
      expectInstructions: MIPS_ELF_INSTRUCTIONS,
      expectOutput: MIPS_ELF_CHECKSUM,
      start: startOf(image),
    };
  }
  const iterations = 3_500_000; // 30.75 instructions each: 107.6 M in all
  const image = buildSynthetic(iterations, RAM_BASE + 0x10000);
  return { name: `synthetic (${iterations} iterations)`, image, expectInstructions: null, expectOutput: null, start: RAM_BASE };
}

/**
 * The synthetic program: per iteration, xorshift32 on a0, a multiply-
 * accumulate, a division and remainder, stores and loads of each width
 * into a 4 KiB buffer on its own page, and a data-dependent branch.
 * Registers x8-x15 so that most of it can be compressed.
 */
function buildSynthetic(iterations: number, data: number): Uint8Array {
  const p = new E.Program(RAM_BASE);
  p.li(E.s0, data);
  p.li(E.s1, iterations);
  p.li(E.a0, 0x12345678);
  p.c(E.cLi(E.a1, 0), E.cLi(E.a2, 0));
  p.label('loop');
  p.i(E.slli(E.a3, E.a0, 13)).c(E.cXor(E.a0, E.a3));
  p.i(E.srli(E.a3, E.a0, 17)).c(E.cXor(E.a0, E.a3));
  p.i(E.slli(E.a3, E.a0, 5)).c(E.cXor(E.a0, E.a3));
  p.i(E.mul(E.a4, E.a0, E.s1)).c(E.cAdd(E.a1, E.a4));
  p.i(E.ori(E.a5, E.s1, 1), E.divu(E.a4, E.a0, E.a5), E.remu(E.a5, E.a0, E.a5)).c(E.cAdd(E.a2, E.a4), E.cXor(E.a2, E.a5));
  p.i(E.andi(E.a3, E.a0, 0x7fc)).c(E.cAdd(E.a3, E.s0));
  p.c(E.cSw(E.a1, E.a3, 0), E.cLw(E.a4, E.a3, 4), E.cAdd(E.a2, E.a4));
  p.i(E.sh(E.a0, E.a3, 8), E.lhu(E.a4, E.a3, 10), E.sb(E.a2, E.a3, 12), E.lb(E.a5, E.a3, 13));
  p.c(E.cAdd(E.a2, E.a4), E.cSub(E.a2, E.a5));
  p.i(E.andi(E.a4, E.a0, 3));
  p.at(2, (pc, L) => E.cBnez(E.a4, L('skip') - pc));
  p.c(E.cSlli(E.a2, 1), E.cAddi(E.a2, 7), E.cSrai(E.a2, 1));
  p.label('skip');
  p.i(E.sltu(E.a4, E.a1, E.a2), E.add(E.a2, E.a2, E.a4));
  p.c(E.cAddi(E.s1, -1));
  p.at(4, (pc, L) => E.bne(E.s1, E.zero, L('loop') - pc));
  // The checksum goes to the finisher, which stops the hart.
  p.li(E.t0, 0x0010_0000);
  p.i(E.sw(E.a2, E.t0, 0));
  p.label('halt').i(E.wfi());
  p.at(4, (pc, L) => E.jal(E.zero, L('halt') - pc));
  return p.bytes();
}

/**
 * Moves a hart stopped in M-mode into S-mode under Sv32 with 4 KiB pages
 * (see the module header): `ram` (based at `ramBase`) holds the image in
 * its lower half. Self-contained, with numbers for CSRs and PTE bits, so
 * that its source text also runs inside the XS script.
 */
function enterPagedS(hart: Hart, ram: Uint8Array, ramBase: number): void {
  const half = ram.length / 2;
  ram.copyWithin(half, 0, half);
  ram.fill(0, 0, half);
  const put = (pa: number, v: number) => {
    const o = pa - ramBase;
    ram[o] = v & 0xff;
    ram[o + 1] = (v >>> 8) & 0xff;
    ram[o + 2] = (v >>> 16) & 0xff;
    ram[o + 3] = v >>> 24;
  };
  const root = ramBase;
  let next = ramBase + 0x1000;
  // Leaf PTE: PPN << 10 | X W R V (0xf); A and D are left to the walk. Pointer: PPN << 10 | V.
  const map = (va: number, pa: number) => {
    const slot = root + Math.floor(va / 0x400000) * 4;
    const o = slot - ramBase;
    let p = (ram[o] | (ram[o + 1] << 8) | (ram[o + 2] << 16) | (ram[o + 3] << 24)) >>> 0;
    if ((p & 1) === 0) {
      p = ((next / 4096) * 1024 + 1) >>> 0;
      put(slot, p);
      next += 0x1000;
    }
    put(Math.floor(p / 1024) * 4096 + ((va >>> 12) & 0x3ff) * 4, ((pa / 4096) * 1024 + 0xf) >>> 0);
  };
  for (let off = 0; off < half; off += 4096) map(ramBase + off, ramBase + half + off);
  map(0x1000_0000, 0x1000_0000); // UART
  map(0x0010_0000, 0x0010_0000); // finisher
  hart.writeCsr(0x180, (0x8000_0000 + root / 4096) >>> 0); // satp: MODE = Sv32, ASID 0
  hart.priv = 1;
}

/** The hart's execution tiers: the interpreter, and guest blocks translated to JavaScript. */
type Tier = 'interp' | 'jit';
const TIERS: readonly Tier[] = args.includes('--tier') ? [args[args.indexOf('--tier') + 1] as Tier] : ['interp', 'jit'];

interface NodeResult {
  best: number;
  median: number;
  bestCpu: number;
  seconds: number;
  instructions: number;
}

function runNode(w: Workload, paged: boolean, tier: Tier): NodeResult {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const times: number[] = [];
  let total = 0;
  const label = `${paged ? 'Sv32' : 'Bare'} ${tier}`;
  for (let round = 0; round < ROUNDS; round++) {
    const ramSize = paged ? 2 * RAM_SIZE : RAM_SIZE;
    const bus = new GuestAddressSpace();
    const ram = new Uint8Array(ramSize);
    bus.addRam({ name: 'ram', base: RAM_BASE as GuestPhysAddr, size: ramSize, bytes: ram });
    const uart = new UartSink();
    bus.addDevice(uart);
    let mtime = 0;
    const hart = new Hart({ bus, readTime: () => mtime, tier });
    if (hart.tier !== tier) console.log(`WARNING: tier ${tier} unavailable, running ${hart.tier}`);
    bus.addDevice(new Finisher(() => hart.requestStop()));
    hart.reset(loadImage({ image: w.image, ram: { base: RAM_BASE, bytes: ram } }).entry);
    if (paged) {
      while (hart.pc !== w.start) if (hart.run(1) !== ExitReason.BudgetSpent) throw new Error(`crt0 stopped at ${hart.pc.toString(16)}`);
      enterPagedS(hart, ram, RAM_BASE);
    }
    const before = hart.instret;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (;;) {
      const r = hart.run(SLICE);
      mtime += SLICE / 10;
      if (r === ExitReason.Stop) break;
      if (r === ExitReason.Fatal) throw hart.fatalError;
      if (r === ExitReason.Wfi && !hart.wakeupPending) throw new Error(`guest parked in WFI at ${hart.pc.toString(16)}`);
    }
    const dt = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const ct = (cpu.user + cpu.system) / 1e6;
    const instructions = hart.instret - before;
    total = hart.instret;
    rates.push(instructions / dt / 1e6);
    cpuRates.push(instructions / ct / 1e6);
    times.push(dt);
    if (round === 0) {
      if (uart.out && !paged) process.stdout.write(uart.out);
      if (w.expectInstructions !== null && total !== w.expectInstructions) {
        console.log(`WARNING (${label}): ${total} instructions retired, QEMU counts ${w.expectInstructions}`);
      }
      if (w.expectOutput !== null && !uart.out.includes(w.expectOutput)) console.log(`WARNING (${label}): output lacks '${w.expectOutput}' (QEMU's)`);
      if (paged && hart.trapCount !== 0) console.log(`WARNING (${label}): the guest trapped: ${JSON.stringify(hart.lastTrap)}`);
    }
    console.log(
      `${label} round ${round + 1}: ${instructions} instructions in ${dt.toFixed(3)} s = ${rates[round].toFixed(1)} MIPS` +
        ` (process CPU ${ct.toFixed(3)} s = ${cpuRates[round].toFixed(1)} MIPS)`,
    );
  }
  const sorted = rates.slice().sort((a, b) => a - b);
  const best = sorted[sorted.length - 1];
  console.log(
    `Node ${process.version}, workload ${w.name} (${label}), slice ${SLICE}: best ${best.toFixed(1)} MIPS, median ` +
      `${sorted[sorted.length >> 1].toFixed(1)} MIPS (wall clock); best ${Math.max(...cpuRates).toFixed(1)} MIPS by process CPU time`,
  );
  return { best, median: sorted[sorted.length >> 1], bestCpu: Math.max(...cpuRates), seconds: Math.min(...times), instructions: total };
}

/**
 * The same image on the CLI's machine (VirtVm: board, CLINT, UART; its
 * 10,000-instruction hart slices), driven as src/monitor/driver.ts drives
 * it (100,000 instructions per vm.run): the path `xsvisor run` takes,
 * without the process start-up and the event loop.
 */
function runVm(w: Workload, tier: Tier): NodeResult {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const times: number[] = [];
  let total = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const vm = new VirtVm({ image: w.image, imageName: 'mips', clock: { now: () => 0 }, tier });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let exit;
    do exit = vm.run(100_000);
    while (exit.kind === 'budget');
    const dt = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const ct = (cpu.user + cpu.system) / 1e6;
    total = vm.instret;
    vm.close();
    // The console has no port here: the instruction count, exact against QEMU's, stands for the output.
    if (exit.kind !== 'exit' || exit.status !== 0) throw new Error(`VirtVm ${tier}: the guest ended with ${JSON.stringify(exit)}`);
    if (total !== w.expectInstructions) console.log(`WARNING (VirtVm ${tier}): ${total} instructions retired, QEMU counts ${w.expectInstructions}`);
    rates.push(total / dt / 1e6);
    cpuRates.push(total / ct / 1e6);
    times.push(dt);
    console.log(`VirtVm ${tier} round ${round + 1}: ${total} instructions in ${dt.toFixed(3)} s = ${rates[round].toFixed(1)} MIPS (process CPU ${ct.toFixed(3)} s = ${cpuRates[round].toFixed(1)} MIPS)`);
  }
  const sorted = rates.slice().sort((a, b) => a - b);
  return { best: sorted[sorted.length - 1], median: sorted[sorted.length >> 1], bestCpu: Math.max(...cpuRates), seconds: Math.min(...times), instructions: total };
}

/**
 * Best wall time and best whole-process CPU time (bench/child-cpu.ts: every thread, user + system, 10 ms
 * resolution) of `runs` QEMU runs of `image` (URL), or null without QEMU; throws when the output lacks `expect`.
 */
function qemuSeconds(image: URL, expect: string, runs: number): { wall: number; cpu: number } | null {
  if (!haveQemu()) return null;
  const argv = ['-M', 'virt', '-bios', 'none', '-nographic', '-cpu', QEMU_CPU, '-kernel', fileURLToPath(image)];
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < runs; i++) {
    const r = runMeasured(QEMU, argv, 120_000);
    if (r.status !== 0 || !r.stdout.includes(expect)) throw new Error(`QEMU on ${fileURLToPath(image)}: status ${r.status}, output ${JSON.stringify(r.stdout.slice(-200))}`);
    wall = Math.min(wall, r.wallSeconds);
    cpu = Math.min(cpu, r.cpuSeconds);
  }
  return { wall, cpu };
}

function mainNode(w: Workload): void {
  const results = TIERS.map((tier) => ({
    tier,
    bare: runNode(w, false, tier),
    paged: PAGED ? runNode(w, true, tier) : null,
    vm: VM && w.expectInstructions !== null ? runVm(w, tier) : null,
  }));
  const isMips = w.expectInstructions !== null;
  const qemu = isMips && !args.includes('--no-qemu') ? qemuSeconds(MIPS_ELF, MIPS_ELF_CHECKSUM, 3) : null;
  const qemuStart = qemu !== null ? qemuSeconds(HELLO_ELF, 'bye', 3) : null;
  const qemuCpuMips = qemu !== null ? MIPS_ELF_INSTRUCTIONS / qemu.cpu / 1e6 : null;
  const row = (what: string, insns: number | string, seconds: string, mips: string, cpu: string) =>
    console.log(`${what.padEnd(36)} ${String(insns).padStart(12)} ${seconds.padStart(9)} ${mips.padStart(10)} ${cpu.padStart(10)}`);
  console.log('');
  row(`${w.name}`, 'instructions', 'best s', 'MIPS wall', 'MIPS CPU');
  for (const { tier, bare, paged, vm } of results) {
    row(`xsvisor Node ${process.version}, Bare, ${tier}`, bare.instructions, bare.seconds.toFixed(3), bare.best.toFixed(1), bare.bestCpu.toFixed(1));
    if (vm !== null) row(`xsvisor Node, VirtVm 10k slices, ${tier}`, vm.instructions, vm.seconds.toFixed(3), vm.best.toFixed(1), vm.bestCpu.toFixed(1));
    if (paged !== null) {
      row(`xsvisor Node, Sv32 4 KiB pages, ${tier}`, paged.instructions, paged.seconds.toFixed(3), paged.best.toFixed(1), paged.bestCpu.toFixed(1));
    }
  }
  const bare = results[0].bare;
  const paged = results[0].paged;
  if (qemu !== null) {
    const n = MIPS_ELF_INSTRUCTIONS;
    row('QEMU 7.2 TCG (whole process)', n, qemu.wall.toFixed(3), (n / qemu.wall / 1e6).toFixed(1), (n / qemu.cpu / 1e6).toFixed(1));
    if (qemuStart !== null && qemu.wall > qemuStart.wall) {
      const cpu = qemu.cpu > qemuStart.cpu ? (n / (qemu.cpu - qemuStart.cpu) / 1e6).toFixed(1) : '-';
      row(`  less start-up (hello.elf: ${qemuStart.wall.toFixed(3)} s)`, n, (qemu.wall - qemuStart.wall).toFixed(3), (n / (qemu.wall - qemuStart.wall) / 1e6).toFixed(1), cpu);
    }
  } else if (isMips && !args.includes('--no-qemu')) {
    console.log(`(${QEMU} not found: no QEMU figure)`);
  }
  if (paged !== null) console.log(`paged/unpaged: ${(paged.best / bare.best).toFixed(2)} (wall), ${(paged.bestCpu / bare.bestCpu).toFixed(2)} (CPU)`);
  if (results.length === 2) {
    const [i, j] = results;
    console.log(`jit/interp (Bare): ${(j.bare.best / i.bare.best).toFixed(2)} (wall), ${(j.bare.bestCpu / i.bare.bestCpu).toFixed(2)} (CPU)`);
    if (i.vm !== null && j.vm !== null) console.log(`jit/interp (VirtVm): ${(j.vm.best / i.vm.best).toFixed(2)} (wall), ${(j.vm.bestCpu / i.vm.bestCpu).toFixed(2)} (CPU)`);
  }
  // By CPU time (steadier on a shared machine): each tier's bare hart and VirtVm, and QEMU's whole process.
  const byCpu = results.map((r) => `${r.tier} bare ${r.bare.bestCpu.toFixed(1)}${r.vm !== null ? `, VirtVm ${r.vm.bestCpu.toFixed(1)}` : ''}`);
  if (qemuCpuMips !== null) byCpu.push(`QEMU ${qemuCpuMips.toFixed(1)} (whole process)`);
  console.log(`mips: ${results.map((r) => `${r.tier} ${r.bare.best.toFixed(1)}`).join(', ')} (MIPS by wall clock); by CPU: ${byCpu.join('; ')}`);
}

/** The machine of runNode as an XS script: IMAGE, WARMUP, INSNS, PAGED and START are defined before it. */
const XS_ENTRY = `
import { AddrRange } from './src/addr/index.js';
import { EmuDeviceType } from './src/device/index.js';
import { GuestAddressSpace } from './src/addrspace/index.js';
import { loadImage } from './src/loader/index.js';
import { ExitReason, Hart } from './src/cpu/index.js';
const bus = new GuestAddressSpace();
const ram = new Uint8Array(PAGED ? ${2 * RAM_SIZE} : ${RAM_SIZE});
bus.addRam({ name: 'ram', base: ${RAM_BASE}, size: ram.length, bytes: ram });
let hart;
bus.addDevice({ name: 'uart0', emuType: () => EmuDeviceType.Uart, addressRange: () => AddrRange.fromStartSize(0x10000000, 0x100),
  handleRead: (o) => (o === 5 ? 0x60 : 0), handleWrite() {} });
bus.addDevice({ name: 'test', emuType: () => EmuDeviceType.TestFinisher, addressRange: () => AddrRange.fromStartSize(0x100000, 0x1000),
  handleRead: () => 0, handleWrite: () => hart.requestStop() });
hart = new Hart({ bus, readTime: () => 0, tier: TIER });
hart.reset(loadImage({ image: new Uint8Array(IMAGE), ram: { base: ${RAM_BASE}, bytes: ram } }).entry);
if (PAGED) {
  while (hart.pc !== START) hart.run(1);
  enterPagedS(hart, ram, ${RAM_BASE});
}
hart.run(WARMUP);
const t0 = Date.now();
let done = 0;
while (done < INSNS) {
  const r = hart.run(Math.min(1000000, INSNS - done));
  done += hart.lastRunSteps;
  if (r !== ExitReason.BudgetSpent) break;
}
const dt = (Date.now() - t0) / 1000;
print(JSON.stringify({ done, seconds: dt, traps: hart.trapCount, tier: hart.tier }));
${enterPagedS.toString()}
`;

async function runXs(w: Workload): Promise<void> {
  const { build } = await import('esbuild');
  const { runXsScript } = await import('../host/xs/index.js');
  const bundle = await build({
    stdin: { contents: XS_ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'xs-mips-entry.ts' },
    bundle: true,
    format: 'iife',
    target: 'es2022',
    minifyWhitespace: true, // as host/xs/bundle.ts: no per-line bytecodes
    write: false,
  });
  const body = bundle.outputFiles[0].text;
  const image = JSON.stringify(Array.from(w.image));
  // Two runs that differ only in the timed instructions: their meter difference is the interpreter's own cost.
  const measure = async (insns: number, paged: boolean, tier: Tier) => {
    let out = '';
    const consts = `const IMAGE = ${image}; const WARMUP = 200000; const INSNS = ${insns}; const PAGED = ${paged}; const START = ${w.start}; const TIER = '${tier}';`;
    const r = await runXsScript(`${consts}\n${body}`, {
      stdout: (s: string) => {
        out += s;
      },
      timeoutMs: 3_600_000,
    });
    if (!r.ok) throw new Error(`XS: ${r.error}`);
    return {
      ...(JSON.parse(out.trim().split('\n').pop()!) as { done: number; seconds: number; traps: number; tier: string }),
      compute: Number(r.meter?.compute ?? 0),
    };
  };
  const bareMips: string[] = [];
  const runs = TIERS.flatMap((tier) => (PAGED ? [false, true] : [false]).map((paged) => ({ tier, paged })));
  for (const { tier, paged } of runs) {
    const small = await measure(Math.floor(XS_INSNS / 5), paged, tier);
    const big = await measure(XS_INSNS, paged, tier);
    const perInsn = (big.compute - small.compute) / (big.done - small.done);
    const mips = big.done / big.seconds / 1e6;
    if (!paged) bareMips.push(`${big.tier} ${mips.toFixed(2)}`);
    const label = `${paged ? 'Sv32 4 KiB pages' : 'Bare'}, ${tier}${big.tier !== tier ? ` (unavailable: ran ${big.tier})` : ''}`;
    console.log(
      `XS (xsnap-worker), workload ${w.name} (${label}): ${big.done} instructions in ${big.seconds.toFixed(2)} s wall = ${mips.toFixed(2)} MIPS; ` +
        `${perInsn.toFixed(1)} computrons per instruction${big.traps !== 0 ? ` (WARNING: ${big.traps} traps)` : ''}`,
    );
  }
  console.log(`mips: ${bareMips.join(', ')}`);
}

const w = workload();
if (args.includes('--xs')) await runXs(w);
else mainNode(w);
