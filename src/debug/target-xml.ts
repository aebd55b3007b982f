/**
 * The target description the stub serves as `target.xml` (GDB manual,
 * appendix G "Target Descriptions" and G.5.8 "RISC-V Features"): an RV32
 * hart with the `org.gnu.gdb.riscv.cpu` feature (x0-x31 by their ABI
 * names, pc), the CSRs this hart implements in `org.gnu.gdb.riscv.csr`,
 * and the privilege mode as `priv` in `org.gnu.gdb.riscv.virtual`.
 *
 * Owns the remote register numbering, which `g`/`G`/`p`/`P` use: 0-31 the
 * x registers, 32 pc, 65 + n for CSR n, and 4161 (65 + 4096) for priv;
 * these are the numbers GDB's own RISC-V target uses internally
 * (riscv-tdep.h: RISCV_FIRST_CSR_REGNUM = 65), so they stay stable.
 */

import { Csr } from '../cpu/index.js';

/** Remote register number of pc. */
export const REG_PC = 32;
/** Remote register number of CSR 0. */
export const REG_CSR_BASE = 65;
/** Remote register number of the virtual `priv` register. */
export const REG_PRIV = REG_CSR_BASE + 4096;
/** Registers carried by `g`/`G`: x0-x31 and pc. */
export const G_REGISTERS = 33;

/** ABI names of x0-x31 (RISC-V psABI), the names GDB's cpu feature expects. */
export const XREG_NAMES: readonly string[] = Object.freeze([
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
]);

/** The CSRs described to GDB, by name: the ones a debugger wants that this hart implements. */
export const DESCRIBED_CSRS: Readonly<Record<string, number>> = Object.freeze({
  sstatus: Csr.sstatus,
  sie: Csr.sie,
  stvec: Csr.stvec,
  scounteren: Csr.scounteren,
  sscratch: Csr.sscratch,
  sepc: Csr.sepc,
  scause: Csr.scause,
  stval: Csr.stval,
  sip: Csr.sip,
  satp: Csr.satp,
  mstatus: Csr.mstatus,
  misa: Csr.misa,
  medeleg: Csr.medeleg,
  mideleg: Csr.mideleg,
  mie: Csr.mie,
  mtvec: Csr.mtvec,
  mcounteren: Csr.mcounteren,
  mscratch: Csr.mscratch,
  mepc: Csr.mepc,
  mcause: Csr.mcause,
  mtval: Csr.mtval,
  mip: Csr.mip,
  mcycle: Csr.mcycle,
  minstret: Csr.minstret,
  mcycleh: Csr.mcycleh,
  minstreth: Csr.minstreth,
  mvendorid: Csr.mvendorid,
  marchid: Csr.marchid,
  mimpid: Csr.mimpid,
  mhartid: Csr.mhartid,
});

function reg(name: string, regnum: number, type: string): string {
  return `    <reg name="${name}" bitsize="32" type="${type}" regnum="${regnum}"/>\n`;
}

/** The type GDB's own 32bit-cpu.xml gives each x register. */
function xregType(i: number): string {
  if (i === 1) return 'code_ptr';
  if (i >= 2 && i <= 4) return 'data_ptr';
  return 'int';
}

/** Builds the description (a plain ASCII string). */
function build(): string {
  let x = '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n';
  x += '  <architecture>riscv:rv32</architecture>\n';
  x += '  <feature name="org.gnu.gdb.riscv.cpu">\n';
  for (let i = 0; i < 32; i++) x += reg(XREG_NAMES[i], i, xregType(i));
  x += reg('pc', REG_PC, 'code_ptr');
  x += '  </feature>\n  <feature name="org.gnu.gdb.riscv.csr">\n';
  for (const [name, n] of Object.entries(DESCRIBED_CSRS)) x += reg(name, REG_CSR_BASE + n, 'int');
  x += '  </feature>\n  <feature name="org.gnu.gdb.riscv.virtual">\n';
  x += reg('priv', REG_PRIV, 'int');
  x += '  </feature>\n</target>\n';
  return x;
}

/** The `target.xml` served through `qXfer:features:read`. */
export const TARGET_XML: string = build();
