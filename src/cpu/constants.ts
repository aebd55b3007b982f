/**
 * Numbers the hart and its callers share: exit reasons of `run()`,
 * privilege modes, exception causes, CSR numbers and the bit layouts of
 * the status and interrupt registers (privileged spec 1.12, chapters 2-4).
 *
 * Every table is frozen; the interpreter copies what it needs into module
 * constants so that the hot path reads no objects.
 */

/** Why `Hart.run()` returned. */
export const ExitReason = Object.freeze({
  /** The budget of instructions was spent. */
  BudgetSpent: 0,
  /** A WFI retired with no interrupt pending and enabled in `mie`; the hart is parked after it. */
  Wfi: 1,
  /** `requestStop()` was called (e.g. by the test finisher); the hart stopped after that instruction. */
  Stop: 2,
  /** An internal error (a bug in the monitor or a host callback that threw); see `Hart.fatalError`. Never caused by a guest. */
  Fatal: 3,
} as const);

/** One of the values of {@link ExitReason}. */
export type ExitReason = (typeof ExitReason)[keyof typeof ExitReason];

/** Privilege modes (privileged spec 1.12, table 1.1). Mode 2 is reserved. */
export const PrivilegeMode = Object.freeze({
  User: 0,
  Supervisor: 1,
  Machine: 3,
} as const);

/** One of the values of {@link PrivilegeMode}. */
export type PrivilegeMode = (typeof PrivilegeMode)[keyof typeof PrivilegeMode];

/** Synchronous exception codes in `mcause`/`scause` (privileged spec 1.12, table 3.6). */
export const ExceptionCause = Object.freeze({
  InstructionAddressMisaligned: 0,
  InstructionAccessFault: 1,
  IllegalInstruction: 2,
  Breakpoint: 3,
  LoadAddressMisaligned: 4,
  LoadAccessFault: 5,
  StoreAddressMisaligned: 6,
  StoreAccessFault: 7,
  EcallFromU: 8,
  EcallFromS: 9,
  EcallFromM: 11,
  InstructionPageFault: 12,
  LoadPageFault: 13,
  StorePageFault: 15,
} as const);

/** The interrupt bit of `mcause`/`scause` on RV32. */
export const CAUSE_INTERRUPT = 0x80000000;

/** CSR numbers this hart implements (privileged spec 1.12, tables 2.2-2.5). */
export const Csr = Object.freeze({
  // Unprivileged counters (read-only shadows).
  cycle: 0xc00,
  time: 0xc01,
  instret: 0xc02,
  hpmcounter3: 0xc03,
  hpmcounter31: 0xc1f,
  cycleh: 0xc80,
  timeh: 0xc81,
  instreth: 0xc82,
  hpmcounter3h: 0xc83,
  hpmcounter31h: 0xc9f,
  // Supervisor.
  sstatus: 0x100,
  sie: 0x104,
  stvec: 0x105,
  scounteren: 0x106,
  senvcfg: 0x10a,
  sscratch: 0x140,
  sepc: 0x141,
  scause: 0x142,
  stval: 0x143,
  sip: 0x144,
  satp: 0x180,
  // Machine information.
  mvendorid: 0xf11,
  marchid: 0xf12,
  mimpid: 0xf13,
  mhartid: 0xf14,
  mconfigptr: 0xf15,
  // Machine trap setup and handling.
  mstatus: 0x300,
  misa: 0x301,
  medeleg: 0x302,
  mideleg: 0x303,
  mie: 0x304,
  mtvec: 0x305,
  mcounteren: 0x306,
  menvcfg: 0x30a,
  mstatush: 0x310,
  menvcfgh: 0x31a,
  mcountinhibit: 0x320,
  mhpmevent3: 0x323,
  mhpmevent31: 0x33f,
  mscratch: 0x340,
  mepc: 0x341,
  mcause: 0x342,
  mtval: 0x343,
  mip: 0x344,
  // Memory protection (16 entries: pmpcfg0-3, pmpaddr0-15).
  pmpcfg0: 0x3a0,
  pmpcfg3: 0x3a3,
  pmpaddr0: 0x3b0,
  pmpaddr15: 0x3bf,
  // Counters.
  mcycle: 0xb00,
  minstret: 0xb02,
  mhpmcounter3: 0xb03,
  mhpmcounter31: 0xb1f,
  mcycleh: 0xb80,
  minstreth: 0xb82,
  mhpmcounter3h: 0xb83,
  mhpmcounter31h: 0xb9f,
  // Debug/trace: the trigger module (Sdtrig; src/cpu/trigger.ts).
  tselect: 0x7a0,
  tdata1: 0x7a1,
  tdata2: 0x7a2,
  tdata3: 0x7a3,
  tinfo: 0x7a4,
} as const);

/** `mstatus` fields on RV32 (privileged spec 1.12, figure 3.6). */
export const Mstatus = Object.freeze({
  SIE: 1 << 1,
  MIE: 1 << 3,
  SPIE: 1 << 5,
  UBE: 1 << 6,
  MPIE: 1 << 7,
  SPP: 1 << 8,
  VS: 3 << 9,
  MPP: 3 << 11,
  MPP_SHIFT: 11,
  FS: 3 << 13,
  XS: 3 << 15,
  MPRV: 1 << 17,
  SUM: 1 << 18,
  MXR: 1 << 19,
  TVM: 1 << 20,
  TW: 1 << 21,
  TSR: 1 << 22,
  SD: 0x80000000,
} as const);

/** Bits of `mip`/`mie` (privileged spec 1.12, figures 3.14-3.15): bit n is interrupt cause n. */
export const Mip = Object.freeze({
  SSIP: 1 << 1,
  MSIP: 1 << 3,
  STIP: 1 << 5,
  MTIP: 1 << 7,
  SEIP: 1 << 9,
  MEIP: 1 << 11,
} as const);

/**
 * `misa` on RV32 (privileged spec 1.12, 3.1.1): MXL = 1 (32-bit) and the
 * extensions A, C, I, M, S, U. Writes are ignored (a legal WARL choice), so
 * C, for instance, can never be turned off.
 */
export const MISA_VALUE =
  ((1 << 30) | (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)) >>> 0;
