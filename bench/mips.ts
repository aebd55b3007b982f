/**
 * bench:mips — guest instructions per second of the hart's interpreter,
 * under Node (V8) and, with `--xs`, under Moddable's XS (xsnap-worker).
 *
 * Workload: guests/bin/mips.elf (a fixed integer workload of 120,583,674
 * instructions, mostly compressed code; see guests/bench/mips.c) when it
 * exists, else (or with `--synthetic`) a deterministic program built with
 * the test encoder: ALU, mul/div, loads and stores of every width, a
 * data-dependent branch, compressed code; 3.5 M iterations, > 100 M
 * instructions. Either runs on a bare machine: RAM at 0x8000_0000, a UART
 * sink at 0x1000_0000 and a finisher at 0x0010_0000 that stops the hart.
 *
 * Node: each round runs the whole workload on a fresh machine in 1 M
 * instruction slices (as the monitor does) and is timed by wall clock and
 * by process CPU time (steadier on a shared machine). For mips.elf the
 * instruction count is checked against QEMU's (`-icount shift=0`) and the
 * guest's checksum against QEMU's output.
 *
 * XS (`--xs`): the same machine is bundled with esbuild and run in a fresh
 * xsnap-worker for `--xs-insns` instructions (default 5 M) after a short
 * warm-up; reported are MIPS (XS's clock) and computrons per instruction
 * (xsnap's deterministic meter, about one per bytecode).
 *
 * Options: `--rounds N` (default 3), `--slice N`, `--synthetic`, `--xs`,
 * `--xs-insns N`. Last line: `mips: X` (Node: the best round by wall
 * clock; XS: the timed slice).
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AddrRange, type GuestPhysAddr } from '../src/addr/index.js';
import { EmuDeviceType, type AccessWidth, type BaseDeviceOps } from '../src/device/index.js';
import { GuestAddressSpace } from '../src/addrspace/index.js';
import { loadImage } from '../src/loader/index.js';
import { ExitReason, Hart } from '../src/cpu/index.js';
import * as E from '../tests/core/rv-encode.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 16 * 1024 * 1024;
const MIPS_ELF = new URL('../guests/bin/mips.elf', import.meta.url);
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
  handleRead(addr: GuestPhysAddr, _w: AccessWidth): number {
    return (addr & 0xff) === 5 ? 0x60 : 0;
  }
  handleWrite(addr: GuestPhysAddr, _w: AccessWidth, v: number | bigint): void {
    if ((addr & 0xff) === 0) this.out += String.fromCharCode(Number(v) & 0xff);
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
}

function workload(): Workload {
  if (!args.includes('--synthetic') && existsSync(MIPS_ELF)) {
    return {
      name: 'guests/bin/mips.elf',
      image: new Uint8Array(readFileSync(MIPS_ELF)),
      expectInstructions: MIPS_ELF_INSTRUCTIONS,
      expectOutput: MIPS_ELF_CHECKSUM,
    };
  }
  const iterations = 3_500_000; // 30.75 instructions each: 107.6 M in all
  return { name: `synthetic (${iterations} iterations)`, image: buildSynthetic(iterations, RAM_BASE + 0x10000), expectInstructions: null, expectOutput: null };
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

function runNode(w: Workload): void {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const bus = new GuestAddressSpace();
    const ram = new Uint8Array(RAM_SIZE);
    bus.addRam({ name: 'ram', base: RAM_BASE as GuestPhysAddr, size: RAM_SIZE, bytes: ram });
    const uart = new UartSink();
    bus.addDevice(uart);
    let mtime = 0;
    const hart = new Hart({ bus, readTime: () => mtime });
    bus.addDevice(new Finisher(() => hart.requestStop()));
    hart.reset(loadImage({ image: w.image, ram: { base: RAM_BASE, bytes: ram } }).entry);
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
    const instructions = hart.instret;
    rates.push(instructions / dt / 1e6);
    cpuRates.push(instructions / ct / 1e6);
    if (round === 0) {
      if (uart.out) process.stdout.write(uart.out);
      if (w.expectInstructions !== null && instructions !== w.expectInstructions) {
        console.log(`WARNING: ${instructions} instructions retired, QEMU counts ${w.expectInstructions}`);
      }
      if (w.expectOutput !== null && !uart.out.includes(w.expectOutput)) console.log(`WARNING: output lacks '${w.expectOutput}' (QEMU's)`);
    }
    console.log(
      `round ${round + 1}: ${instructions} instructions in ${dt.toFixed(3)} s = ${rates[round].toFixed(1)} MIPS` +
        ` (process CPU ${ct.toFixed(3)} s = ${cpuRates[round].toFixed(1)} MIPS)`,
    );
  }
  const sorted = rates.slice().sort((a, b) => a - b);
  const best = sorted[sorted.length - 1];
  console.log(
    `Node ${process.version}, workload ${w.name}, slice ${SLICE}: best ${best.toFixed(1)} MIPS, median ` +
      `${sorted[sorted.length >> 1].toFixed(1)} MIPS (wall clock); best ${Math.max(...cpuRates).toFixed(1)} MIPS by process CPU time`,
  );
  console.log(`mips: ${best.toFixed(1)}`);
}

/** The machine of runNode as an XS script: IMAGE and INSNS are defined before it. */
const XS_ENTRY = `
import { AddrRange } from './src/addr/index.js';
import { EmuDeviceType } from './src/device/index.js';
import { GuestAddressSpace } from './src/addrspace/index.js';
import { loadImage } from './src/loader/index.js';
import { ExitReason, Hart } from './src/cpu/index.js';
const bus = new GuestAddressSpace();
const ram = new Uint8Array(${RAM_SIZE});
bus.addRam({ name: 'ram', base: ${RAM_BASE}, size: ram.length, bytes: ram });
let hart;
bus.addDevice({ name: 'uart0', emuType: () => EmuDeviceType.Uart, addressRange: () => AddrRange.fromStartSize(0x10000000, 0x100),
  handleRead: (a) => ((a & 0xff) === 5 ? 0x60 : 0), handleWrite() {} });
bus.addDevice({ name: 'test', emuType: () => EmuDeviceType.TestFinisher, addressRange: () => AddrRange.fromStartSize(0x100000, 0x1000),
  handleRead: () => 0, handleWrite: () => hart.requestStop() });
hart = new Hart({ bus, readTime: () => 0 });
hart.reset(loadImage({ image: new Uint8Array(IMAGE), ram: { base: ${RAM_BASE}, bytes: ram } }).entry);
hart.run(WARMUP);
const t0 = Date.now();
let done = 0;
while (done < INSNS) {
  const r = hart.run(Math.min(1000000, INSNS - done));
  done += hart.lastRunSteps;
  if (r !== ExitReason.BudgetSpent) break;
}
const dt = (Date.now() - t0) / 1000;
print(JSON.stringify({ done, seconds: dt }));
`;

async function runXs(w: Workload): Promise<void> {
  const { build } = await import('esbuild');
  const { runXsScript } = await import('../host/xs/index.js');
  const bundle = await build({
    stdin: { contents: XS_ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'xs-mips-entry.ts' },
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
  });
  const body = bundle.outputFiles[0].text;
  const image = JSON.stringify(Array.from(w.image));
  // Two runs that differ only in the timed instructions: their meter difference is the interpreter's own cost.
  const measure = async (insns: number) => {
    let out = '';
    const r = await runXsScript(`const IMAGE = ${image}; const WARMUP = 200000; const INSNS = ${insns};\n${body}`, {
      stdout: (s: string) => {
        out += s;
      },
      timeoutMs: 3_600_000,
    });
    if (!r.ok) throw new Error(`XS: ${r.error}`);
    return { ...(JSON.parse(out.trim().split('\n').pop()!) as { done: number; seconds: number }), compute: Number(r.meter?.compute ?? 0) };
  };
  const small = await measure(Math.floor(XS_INSNS / 5));
  const big = await measure(XS_INSNS);
  const perInsn = (big.compute - small.compute) / (big.done - small.done);
  const mips = big.done / big.seconds / 1e6;
  console.log(`XS (xsnap-worker), workload ${w.name}: ${big.done} instructions in ${big.seconds.toFixed(2)} s = ${mips.toFixed(2)} MIPS; ${perInsn.toFixed(1)} computrons per instruction`);
  console.log(`mips: ${mips.toFixed(2)}`);
}

const w = workload();
if (args.includes('--xs')) await runXs(w);
else runNode(w);
