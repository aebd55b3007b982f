// TEMP
import { mulh, mulhsu, mulhu } from './arith.js';
import { amoValue } from './amo.js';
import { expandCompressed, isAmoFunct5 } from './isa/index.js';
import { amoSlow, fetchSlow, illegalBits, load, mmuRefresh, refreshWindow, store } from './mem.js';
import { enterTrap, exception, pendingInterrupt, system } from './trap.js';
import { CC_ENTRIES, EMPTY16, EV_IRQ, EV_MMU, EV_STOP, EXC_ILLEGAL, EXC_LOAD_MISALIGNED, EXC_STORE_MISALIGNED, EXIT_BUDGET, EXIT_FATAL, EXIT_STOP, EXIT_WFI, M, NO_RESV, S, ST_EVENT, ST_EXC, ST_ILLEGAL, ST_OK, ST_WFI, SYS_JUMP, SYS_NEXT, SYS_WFI, type HartCore } from './core.js';

export function interpret(h: HartCore, budget: number): number {
  h.parkedv = false;
  if (h.bus.generation !== h.gen) refreshWindow(h);
  mmuRefresh(h);
  const x = h.xr; // results for x0 go to x[32]: see xr
  x[0] = 0;
  const cc = h.ccache;
  let m8 = h.m8;
  let i8 = h.i8;
  let m16 = h.m16;
  let i16 = h.i16;
  let m32 = h.m32;
  let rb = h.ramBase;
  // Loads and stores use the window directly when untranslated; with
  // translation the limits are -1, so those checks always fail and the
  // access goes through the TLB (tR/oR, tW/oW, keyed with dk). While PMP
  // or a trigger needs a look at every access (ldSlow, stSlow, dkLoop),
  // the limits are -1 and the key matches nothing: the slow path checks.
  let dv = h.dv;
  let dk = h.dkLoop;
  let rl1 = dv !== 0 || h.ldSlow !== 0 ? -1 : h.ramSize - 1;
  let rl2 = dv !== 0 || h.ldSlow !== 0 ? -1 : h.ramSize - 2;
  let rl4 = dv !== 0 || h.ldSlow !== 0 ? -1 : h.ramSize - 4;
  // Stores (and AMOs) use their own limits: under the JIT tier they all take
  // the slow path, which tells the tier about writes to translated code.
  const jit = h.jitc !== null;
  let sl1 = jit || h.stSlow !== 0 ? -1 : rl1;
  let sl2 = jit || h.stSlow !== 0 ? -1 : rl2;
  let sl4 = jit || h.stSlow !== 0 ? -1 : rl4;
  // The fetch page (see the field): the whole window without translation.
  // fh is fl4 / 2: the loop compares parcel indices, (pc - fb) >> 1.
  let fb = h.fb;
  let fh = h.fl4 >> 1;
  let f16 = h.f16;
  const tR = h.mmu.tagR;
  const oR = h.mmu.offR;
  const tW = h.mmu.tagW;
  const oW = h.mmu.offW;
  let e = 0;
  // The loop keeps pc as ph, its parcel index in the fetch window:
  // pc = fb + 2 * ph (modulo 2^32; fb + (ph << 1) wraps). The fetch then
  // needs no subtraction, and sequential steps add 1 or 2 to ph. pc, the
  // address, is computed where it is needed (links, AUIPC, traps, the
  // slow fetch) and kept consistent with ph and fb outside the inner loop.
  let pc = h.pcv;
  let ph = (pc - fb) >> 1;
  let n = budget;
  let exit: number = EXIT_BUDGET;
  // What the instruction just dispatched needs beyond `pc = npc`
  // (ST_OK when nothing). Cases end in a plain `break` and report through
  // `st`: XS 13.3 leaks a stack slot for every `continue` or labelled
  // `break` that leaves a switch (tests/host/xs-lane.test.ts), which in
  // this loop would overflow its stack within a few thousand instructions.
  let st = ST_OK;
  let ec = 0; // exception cause, with st = ST_EXC
  let et = 0; // exception tval
  let inst = 0;
  let npc = 0;
  let a = 0;
  let b = 0;
  let o = 0;
  let t = 0;
  let rd = 0;
  let c = false; // a branch's condition
  h.sliceBudget = budget;
  h.sliceLeft = budget;
  h.inRun = true;
  h.events |= EV_IRQ;
  try {
    outer: for (;;) {
      if (h.events !== 0) {
        const ev = h.events;
        h.events = 0;
        if ((ev & EV_STOP) !== 0) {
          exit = EXIT_STOP;
          break;
        }
        const cause = pendingInterrupt(h);
        if (cause >= 0) {
          h.sliceLeft = n; // instret exact for the trap hook
          pc = enterTrap(h, cause, true, 0, (fb + (ph << 1)) | 0);
          ph = (pc - fb) >> 1;
        }
        // A map change, or a change of what translation applies (possibly by the trap just taken).
        if (h.bus.generation !== h.gen || ((ev | h.events) & EV_MMU) !== 0) {
          h.events &= ~EV_MMU;
          if (h.bus.generation !== h.gen) refreshWindow(h);
          mmuRefresh(h);
          m8 = h.m8;
          i8 = h.i8;
          m16 = h.m16;
          i16 = h.i16;
          m32 = h.m32;
          rb = h.ramBase;
          dv = h.dv;
          dk = h.dkLoop;
          rl1 = dv !== 0 || h.ldSlow !== 0 ? -1 : h.ramSize - 1;
          rl2 = dv !== 0 || h.ldSlow !== 0 ? -1 : h.ramSize - 2;
          rl4 = dv !== 0 || h.ldSlow !== 0 ? -1 : h.ramSize - 4;
          sl1 = jit || h.stSlow !== 0 ? -1 : rl1;
          sl2 = jit || h.stSlow !== 0 ? -1 : rl2;
          sl4 = jit || h.stSlow !== 0 ? -1 : rl4;
          pc = (fb + (ph << 1)) | 0;
          fb = h.fb;
          fh = h.fl4 >> 1;
          f16 = h.f16;
          ph = (pc - fb) >> 1;
        }
      }
      if (n <= 0) break;
      // n counts down before the test: the instruction is charged before it runs (a fetch fault included).
      while (--n >= st) {
        // ---- fetch
        // ph >>> 0: below the window (or 2^31 parcels above) fails the unsigned test.
        if (ph >>> 0 <= fh) {
          // The first parcel only: a compressed instruction needs no more (the upper one is read below).
          inst = f16[ph];
        } else {
          pc = (fb + (ph << 1)) | 0;
          inst = fetchSlow(h, pc);
          // With translation, fetchSlow moves the fetch page to pc's page.
          fb = h.fb;
          fh = h.fl4 >> 1;
          f16 = h.f16;
          ph = (pc - fb) >> 1;
          if (h.fetchFault !== -1) {
            h.sliceLeft = n; // instret exact for the trap hook
            pc = exception(h, h.faultCause, h.fetchFault, pc);
            ph = (pc - fb) >> 1;
            if (h.events !== 0) continue outer;
            continue;
          }
          // inst is whole. The read of the upper parcel below gives it again
          // from the window that holds pc, or undefined (which `<<` makes 0)
          // past its end; outside any window, an empty one (and this path
          // again next time).
          if (ph >>> 0 > fh) {
            f16 = EMPTY16;
            fh = -1;
          }
        }
        if ((inst & 3) === 3) {
          inst |= f16[ph + 1] << 16;
          npc = ph + 2;
        } else {
          // RV32C. Every frequent form runs directly (bits as in decode.ts's
          // expandCompressed): +20 % MIPS on V8 over expanding them, and on
          // XS they skip the expansion and the 32-bit dispatch. inst holds
          // the parcel alone (bits above 15 are 0).
          // Keyed by quadrant and funct3 (inst & 0xe003), tested by
          // frequency in guests/bin/mips.elf (XS compares one by one).
          // Memory forms take the RAM fast path only; the rare forms,
          // reserved encodings, and anything needing a slow path (a
          // translated or device access, C.EBREAK) are expanded below.
          t = inst & 0xe003;
          if (t === 0x0001) {
            // C.ADDI (rd = x0 or imm = 0 are HINTs: harmless here); imm[5] (bit 12) weighs -32, imm[4:0] are bits 6:2
            rd = ((inst >>> 7) & 31) || 32;
            x[rd] = x[rd] + (((inst >>> 2) & 31) - ((inst >>> 7) & 32));
            ph += 1;
            continue;
          }
          if (t === 0x8002) {
            // C.MV, C.ADD, C.JR, C.JALR; C.EBREAK and C.JR x0 (reserved) go through expansion
            rd = (inst >>> 7) & 31;
            o = (inst >>> 2) & 31;
            if (o !== 0) {
              if ((inst & 0x1000) === 0) x[rd || 32] = x[o];
              else x[rd || 32] = x[rd] + x[o];
              ph += 1;
              continue;
            }
            if (rd !== 0) {
              o = x[rd] & ~1;
              if ((inst & 0x1000) !== 0) x[1] = fb + (ph << 1) + 2;
              ph = (o - fb) >> 1;
              continue;
            }
          } else if ((t & 0xdfff) === 0xc001) {
            // C.BEQZ (0xc001), C.BNEZ (0xe001): offset[8|4:3|7:6|2:1|5] in bits 12|11:10|6:5|4:3|2; the offset in parcels is >> 24
            if ((x[((inst >>> 7) & 7) + 8] === 0) === (t === 0xc001)) {
              o = ((inst >>> 4) & 0x100) | ((inst >>> 7) & 0x18) | ((inst << 1) & 0xc0) | ((inst >>> 2) & 6) | ((inst << 3) & 0x20);
              ph += (o << 23) >> 24;
            } else {
              ph += 1;
            }
            continue;
          } else if (t === 0x8001) {
            // C.SRLI, C.SRAI, C.ANDI, C.SUB, C.XOR, C.OR, C.AND on rd' (x8-x15: never x0)
            rd = ((inst >>> 7) & 7) + 8;
            o = (inst >>> 10) & 3;
            if (o === 3) {
              if ((inst & 0x1000) === 0) {
                b = x[((inst >>> 2) & 7) + 8];
                o = (inst >>> 5) & 3;
                if (o === 0) x[rd] = x[rd] - b;
                else if (o === 1) x[rd] = x[rd] ^ b;
                else if (o === 2) x[rd] = x[rd] | b;
                else x[rd] = x[rd] & b;
                ph += 1;
                continue;
              }
            } else if (o === 2) {
              x[rd] = x[rd] & (((inst >>> 2) & 31) - ((inst >>> 7) & 32));
              ph += 1;
              continue;
            } else if ((inst & 0x1000) === 0) {
              // shamt[5] = 1 is reserved on RV32C: expanded (illegal)
              if (o === 0) x[rd] = x[rd] >>> ((inst >>> 2) & 31);
              else x[rd] = x[rd] >> ((inst >>> 2) & 31);
              ph += 1;
              continue;
            }
          } else if (t === 0x4002) {
            // C.LWSP: uimm[5] = bit 12, uimm[4:2] = bits 6:4, uimm[7:6] = bits 3:2; rd = x0 reserved
            rd = (inst >>> 7) & 31;
            a = (x[2] + (((inst >>> 7) & 0x20) | ((inst >>> 2) & 0x1c) | ((inst << 4) & 0xc0))) | 0;
            o = (a - rb) | 0;
            if (o >>> 0 <= rl4 && rd !== 0) {
              x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
              ph += 1;
              continue;
            }
          } else if (t === 0x4001) {
            // C.LI (rd = x0 is a HINT)
            x[((inst >>> 7) & 31) || 32] = ((inst >>> 2) & 31) - ((inst >>> 7) & 32);
            ph += 1;
            continue;
          } else if (t === 0x0002) {
            // C.SLLI (shamt[5] = 1 is reserved on RV32C: expanded; rd = x0 is a HINT)
            if ((inst & 0x1000) === 0) {
              rd = ((inst >>> 7) & 31) || 32;
              x[rd] = x[rd] << ((inst >>> 2) & 31);
              ph += 1;
              continue;
            }
          } else if ((t & 0x7fff) === 0x2001) {
            // C.JAL (0x2001), C.J (0xa001): offset[11|4|9:8|10|6|7|3:1|5] in bits 12|11|10:9|8|7|6|5:3|2; in parcels >> 21
            if (t === 0x2001) x[1] = fb + (ph << 1) + 2;
            o = ((inst >>> 1) & 0x800) | ((inst >>> 7) & 0x10) | ((inst >>> 1) & 0x300) | ((inst << 2) & 0x400) |
              ((inst >>> 1) & 0x40) | ((inst << 1) & 0x80) | ((inst >>> 2) & 0xe) | ((inst << 3) & 0x20);
            ph += (o << 20) >> 21;
            continue;
          } else if (t === 0xc002) {
            // C.SWSP: uimm[5:2] = bits 12:9, uimm[7:6] = bits 8:7
            a = (x[2] + (((inst >>> 7) & 0x3c) | ((inst >>> 1) & 0xc0))) | 0;
            o = (a - rb) | 0;
            if (o >>> 0 <= sl4) {
              b = x[(inst >>> 2) & 31];
              if ((o & 3) === 0) {
                m32[o >> 2] = b;
              } else {
                m8[o] = b;
                m8[o + 1] = b >> 8;
                m8[o + 2] = b >> 16;
                m8[o + 3] = b >> 24;
              }
              // A store by this hart to the reserved word kills the reservation (0x40000000 = NO_RESV).
              t = h.resvW;
              if (t !== 0x40000000 && (a >> 2 === t || (a + 3) >> 2 === t)) h.resvW = 0x40000000;
              ph += 1;
              continue;
            }
          } else if ((t & 0x7fff) === 0x4000) {
            // C.LW (0x4000), C.SW (0xc000): rs1' bits 9:7, rd'/rs2' bits 4:2; uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5
            a = (x[((inst >>> 7) & 7) + 8] + (((inst >>> 7) & 0x38) | ((inst >>> 4) & 4) | ((inst << 1) & 0x40))) | 0;
            o = (a - rb) | 0;
            rd = ((inst >>> 2) & 7) + 8;
            if (t === 0x4000) {
              if (o >>> 0 <= rl4) {
                x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                ph += 1;
                continue;
              }
            } else if (o >>> 0 <= sl4) {
              b = x[rd];
              if ((o & 3) === 0) {
                m32[o >> 2] = b;
              } else {
                m8[o] = b;
                m8[o + 1] = b >> 8;
                m8[o + 2] = b >> 16;
                m8[o + 3] = b >> 24;
              }
              t = h.resvW;
              if (t !== 0x40000000 && (a >> 2 === t || (a + 3) >> 2 === t)) h.resvW = 0x40000000;
              ph += 1;
              continue;
            }
          }
          npc = ph + 1;
          // Everything else: expandCompressed through the cache; an illegal
          // parcel becomes -1 (inst & 0x7f = 0x7f: no case matches).
          t = inst & 0xffff;
          o = ((t ^ (t >>> 7)) & 1023) << 1; // 1023 = CC_ENTRIES - 1 (a literal: a module constant costs a load on V8)
          if (cc[o] === t) {
            inst = cc[o + 1];
          } else {
            inst = expandCompressed(t);
            if (inst === 0) inst = -1;
            cc[o] = t;
            cc[o + 1] = inst;
          }
        }

        // ---- execute: sets npc for control transfers, st for anything unusual
        switch (inst & 0x7f) {
          case 0x63: {
            // BRANCH
            a = x[(inst >>> 15) & 31];
            b = x[(inst >>> 20) & 31];
            // Cases by frequency in guests/bin/mips.elf (XS tests them one by one), as in every switch below.
            switch (inst & 0x7000) {
              case 0x1000:
                c = a !== b;
                break;
              case 0x4000:
                c = a < b;
                break;
              case 0x0000:
                c = a === b;
                break;
              case 0x5000:
                c = a >= b;
                break;
              case 0x6000:
                c = a >>> 0 < b >>> 0;
                break;
              case 0x7000:
                c = a >>> 0 >= b >>> 0;
                break;
              default:
                c = false;
                st = ST_ILLEGAL;
                npc = ph;
            }
            // Taken: B-immediate (decode.immB) in parcels (each term shifted one bit right: ph counts parcels).
            if (c) npc = ph + (((inst >> 20) & ~0x7ff) | ((inst << 3) & 0x400) | ((inst >>> 21) & 0x3f0) | ((inst >>> 8) & 0xf));
            break;
          }
          case 0x13: {
            // OP-IMM
            rd = ((inst >>> 7) & 31) || 32; // x0: see xr
            a = x[(inst >>> 15) & 31];
            b = inst >> 20;
            switch (inst & 0x7000) {
              case 0x5000: // SRLI / SRAI
                t = inst >>> 25;
                if (t === 0) x[rd] = a >>> b;
                else if (t === 0x20) x[rd] = a >> b;
                else {
                  st = ST_ILLEGAL;
                  npc = ph;
                }
                break;
              case 0x7000: // ANDI
                x[rd] = a & b;
                break;
              case 0x1000: // SLLI: imm[11:5] must be 0 (shamt[5] = 1 is reserved on RV32)
                if (inst >>> 25 === 0) x[rd] = a << b;
                else {
                  st = ST_ILLEGAL;
                  npc = ph;
                }
                break;
              case 0x0000: // ADDI
                x[rd] = a + b;
                break;
              case 0x4000: // XORI
                x[rd] = a ^ b;
                break;
              case 0x6000: // ORI
                x[rd] = a | b;
                break;
              case 0x2000: // SLTI
                x[rd] = a < b ? 1 : 0;
                break;
              default: // 3: SLTIU (the immediate is sign-extended, then compared unsigned)
                x[rd] = a >>> 0 < b >>> 0 ? 1 : 0;
            }
            break;
          }
          case 0x33: {
            // OP
            rd = ((inst >>> 7) & 31) || 32;
            a = x[(inst >>> 15) & 31];
            b = x[(inst >>> 20) & 31];
            t = inst >>> 25;
            if (t === 0) {
              switch (inst & 0x7000) {
                case 0x4000: // XOR
                  x[rd] = a ^ b;
                  break;
                case 0x0000: // ADD
                  x[rd] = a + b;
                  break;
                case 0x6000: // OR
                  x[rd] = a | b;
                  break;
                case 0x7000: // AND
                  x[rd] = a & b;
                  break;
                case 0x1000: // SLL (JS shifts use the low 5 bits, as RV32 does)
                  x[rd] = a << b;
                  break;
                case 0x5000: // SRL
                  x[rd] = a >>> b;
                  break;
                case 0x2000: // SLT
                  x[rd] = a < b ? 1 : 0;
                  break;
                default: // 3: SLTU
                  x[rd] = a >>> 0 < b >>> 0 ? 1 : 0;
              }
            } else if (t === 1) {
              // M extension (unprivileged ISA chapter 7; division edge cases per table 7.1).
              switch (inst & 0x7000) {
                case 0x7000: // REMU
                  x[rd] = b === 0 ? a : (a >>> 0) % (b >>> 0);
                  break;
                case 0x0000: // MUL
                  x[rd] = Math.imul(a, b);
                  break;
                case 0x5000: // DIVU: x/0 = 2^32-1
                  x[rd] = b === 0 ? -1 : (a >>> 0) / (b >>> 0);
                  break;
                case 0x1000: // MULH
                  x[rd] = mulh(a, b);
                  break;
                case 0x2000: // MULHSU
                  x[rd] = mulhsu(a, b);
                  break;
                case 0x3000: // MULHU
                  x[rd] = mulhu(a, b);
                  break;
                case 0x4000: // DIV: x/0 = -1; INT_MIN/-1 = INT_MIN (the |0 wraps 2^31)
                  x[rd] = b === 0 ? -1 : (a / b) | 0;
                  break;
                default: // 6: REM: x%0 = x; INT_MIN%-1 = 0 (JS gives -0, stored as 0)
                  x[rd] = b === 0 ? a : a % b;
              }
            } else if (t === 0x20) {
              t = (inst >>> 12) & 7;
              if (t === 0) x[rd] = a - b; // SUB
              else if (t === 5) x[rd] = a >> b; // SRA
              else {
                st = ST_ILLEGAL;
                npc = ph;
              }
            } else {
              st = ST_ILLEGAL;
              npc = ph;
            }
            break;
          }
          case 0x23: {
            // STORE; S-immediate (decode.immS)
            a = (x[(inst >>> 15) & 31] + (((inst >> 20) & ~31) | ((inst >>> 7) & 31))) | 0;
            o = (a - rb) | 0;
            b = x[(inst >>> 20) & 31];
            t = (inst >>> 12) & 7;
            if (t === 0) {
              // SB
              if (o >>> 0 <= sl1) {
                m8[o] = b;
                if (a >> 2 === h.resvW) h.resvW = 0x40000000;
                break;
              }
              t = 1;
            } else if (t === 2) {
              // SW
              if (o >>> 0 <= sl4) {
                if ((o & 3) === 0) {
                  m32[o >> 2] = b;
                } else {
                  m8[o] = b;
                  m8[o + 1] = b >> 8;
                  m8[o + 2] = b >> 16;
                  m8[o + 3] = b >> 24;
                }
                // A store by this hart to the reserved word kills the reservation (0x40000000 = NO_RESV).
                t = h.resvW;
                if (t !== 0x40000000 && (a >> 2 === t || (a + 3) >> 2 === t)) h.resvW = 0x40000000;
                break;
              }
              t = 4;
            } else if (t === 1) {
              // SH
              if (o >>> 0 <= sl2) {
                if ((o & 1) === 0) {
                  m16[o >> 1] = b;
                } else {
                  m8[o] = b;
                  m8[o + 1] = b >> 8;
                }
                t = h.resvW;
                if (t !== 0x40000000 && (a >> 2 === t || (a + 1) >> 2 === t)) h.resvW = 0x40000000;
                break;
              }
              t = 2;
            } else {
              st = ST_ILLEGAL;
              npc = ph;
              break;
            }
            if (dv !== 0) {
              // Sv32: the store TLB (a page whose D bit is set), unless the access spans two pages.
              e = (a >>> 12) & 255; // 255 = DTLB_ENTRIES - 1
              if (tW[e] === (((a + t - 1) >>> 12) | dk)) {
                o = (a + oW[e]) | 0;
                if (t === 4) {
                  if ((o & 3) === 0) {
                    m32[o >> 2] = b;
                  } else {
                    m8[o] = b;
                    m8[o + 1] = b >> 8;
                    m8[o + 2] = b >> 16;
                    m8[o + 3] = b >> 24;
                  }
                } else if (t === 1) {
                  m8[o] = b;
                } else if ((o & 1) === 0) {
                  m16[o >> 1] = b;
                } else {
                  m8[o] = b;
                  m8[o + 1] = b >> 8;
                }
                if (jit) h.jitc!.noteStore((o + rb) >>> 0, t); // translated code in that page is stale
                // The reservation is on a physical word: o + rb is the physical address.
                if (h.resvW !== 0x40000000) {
                  o = (o + rb) | 0;
                  if (o >> 2 === h.resvW || (o + t - 1) >> 2 === h.resvW) h.resvW = 0x40000000;
                }
                break;
              }
            }
            h.sliceLeft = n;
            if (!store(h, a, t as 1 | 2 | 4, b)) {
              ec = h.faultCause;
              et = h.faultTval;
              st = ST_EXC;
              npc = ph;
            } else if (h.events !== 0) {
              st = ST_EVENT;
            }
            break;
          }
          case 0x03: {
            // LOAD
            a = (x[(inst >>> 15) & 31] + (inst >> 20)) | 0;
            o = (a - rb) | 0;
            rd = ((inst >>> 7) & 31) || 32;
            t = (inst >>> 12) & 7;
            if (t === 2) {
              // LW
              if (o >>> 0 <= rl4) {
                x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                break;
              }
              b = 4;
            } else if (t === 4) {
              // LBU
              if (o >>> 0 <= rl1) {
                x[rd] = m8[o];
                break;
              }
              b = 1;
            } else if (t === 1) {
              // LH
              if (o >>> 0 <= rl2) {
                x[rd] = (o & 1) === 0 ? i16[o >> 1] : ((m8[o] | (m8[o + 1] << 8)) << 16) >> 16;
                break;
              }
              b = 2;
            } else if (t === 0) {
              // LB
              if (o >>> 0 <= rl1) {
                x[rd] = i8[o];
                break;
              }
              b = 1;
            } else if (t === 5) {
              // LHU
              if (o >>> 0 <= rl2) {
                x[rd] = (o & 1) === 0 ? m16[o >> 1] : m8[o] | (m8[o + 1] << 8);
                break;
              }
              b = 2;
            } else {
              st = ST_ILLEGAL;
              npc = ph;
              break;
            }
            if (dv !== 0) {
              // Sv32: the load TLB, unless the access spans two pages.
              e = (a >>> 12) & 255; // 255 = DTLB_ENTRIES - 1
              if (tR[e] === (((a + b - 1) >>> 12) | dk)) {
                o = (a + oR[e]) | 0;
                if (t === 2) x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                else if (t === 4) x[rd] = m8[o];
                else if (t === 0) x[rd] = i8[o];
                else if (t === 5) x[rd] = (o & 1) === 0 ? m16[o >> 1] : m8[o] | (m8[o + 1] << 8);
                else x[rd] = (o & 1) === 0 ? i16[o >> 1] : ((m8[o] | (m8[o + 1] << 8)) << 16) >> 16;
                break;
              }
            }
            // Through the address space (translating first with Sv32): -1 is a fault.
            h.sliceLeft = n;
            o = load(h, a, b as 1 | 2 | 4);
            if (o < 0) {
              ec = h.faultCause;
              et = h.faultTval;
              st = ST_EXC;
              npc = ph;
              break;
            }
            if (t === 0) o = (o << 24) >> 24;
            else if (t === 1) o = (o << 16) >> 16;
            x[rd] = o;
            if (h.events !== 0) st = ST_EVENT;
            break;
          }
          case 0x6f: // JAL; J-immediate (decode.immJ) in parcels, as for BRANCH
            x[((inst >>> 7) & 31) || 32] = fb + (npc << 1);
            npc = ph + (((inst >> 12) & ~0x7ffff) | ((inst >>> 1) & 0x7f800) | ((inst >>> 10) & 0x400) | ((inst >>> 21) & 0x3ff));
            break;
          case 0x67: // JALR
            if ((inst & 0x7000) !== 0) {
              st = ST_ILLEGAL;
              npc = ph;
              break;
            }
            t = (x[(inst >>> 15) & 31] + (inst >> 20)) & ~1;
            x[((inst >>> 7) & 31) || 32] = fb + (npc << 1);
            npc = (t - fb) >> 1;
            break;
          case 0x37: // LUI
            x[((inst >>> 7) & 31) || 32] = inst & ~0xfff;
            break;
          case 0x17: // AUIPC
            x[((inst >>> 7) & 31) || 32] = fb + (ph << 1) + (inst & ~0xfff);
            break;
          case 0x73:
            // SYSTEM: out of line (CSRs, xRET, WFI, ECALL, EBREAK, SFENCE.VMA)
            h.sliceLeft = n;
            t = system(h, inst);
            if (t === SYS_NEXT) {
              if (h.events !== 0) st = ST_EVENT;
            } else if (t === SYS_JUMP) {
              npc = (h.jumpTarget - fb) >> 1;
              st = ST_EVENT; // an xRET changes what may interrupt
            } else if (t === SYS_WFI) {
              st = ST_WFI;
            } else {
              ec = h.excCause;
              et = h.excTval;
              st = ST_EXC;
              npc = ph;
            }
            break;
          case 0x2f: {
            // AMO (A extension, unprivileged ISA chapter 8): only .W on RV32.
            t = inst >>> 27;
            if ((inst & 0x7000) !== 0x2000 || !isAmoFunct5(t) || (t === 2 && (inst & 0x1f00000) !== 0)) {
              st = ST_ILLEGAL;
              npc = ph;
              break;
            }
            a = x[(inst >>> 15) & 31];
            if ((a & 3) !== 0) {
              // Misaligned atomics always trap (spec 8.2, 8.4): LR as a load, SC/AMO as a store.
              ec = t === 2 ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED;
              et = a >>> 0;
              st = ST_EXC;
              npc = ph;
              break;
            }
            o = (a - rb) | 0;
            b = x[(inst >>> 20) & 31];
            rd = (inst >>> 7) & 31;
            if (o >>> 0 <= sl4) {
              o >>= 2;
              if (t === 2) {
                // LR.W
                x[rd] = m32[o];
                h.resvW = a >> 2;
              } else if (t === 3) {
                // SC.W: succeeds only with a valid reservation on this word; always clears it.
                if (h.resvW === a >> 2) {
                  m32[o] = b;
                  x[rd] = 0;
                } else {
                  x[rd] = 1;
                }
                h.resvW = NO_RESV;
              } else {
                t = amoValue(t, m32[o], b);
                x[rd] = m32[o];
                m32[o] = t;
                if (a >> 2 === h.resvW) h.resvW = NO_RESV;
              }
              x[0] = 0;
              break;
            }
            h.sliceLeft = n;
            if (!amoSlow(h, inst, a, b)) {
              ec = h.faultCause;
              et = h.faultTval;
              st = ST_EXC;
              npc = ph;
            } else if (h.events !== 0) {
              st = ST_EVENT;
            }
            break;
          }
          case 0x0f: // MISC-MEM: FENCE (0) and FENCE.I (1) are no-ops for one hart without caches; other fields are ignored (spec 2.7, 3.1).
            if ((inst & 0x6000) !== 0) {
              st = ST_ILLEGAL;
              npc = ph;
            } else if ((inst & 0x1000) !== 0 && h.jitc !== null) {
              h.jitc.flush(); // FENCE.I: translated code may be stale
            }
            break;
          default:
            st = ST_ILLEGAL;
            npc = ph;
        }
        // Exceptions left npc = ph.
        ph = npc;
      }
      n++; // the failed test above took one more
      pc = (fb + (ph << 1)) | 0;
      // ---- the unusual: events, WFI, exceptions (the next outer pass looks at events and the budget)
      if (st !== ST_OK) {
        if (st === ST_WFI) {
          st = ST_OK;
          exit = EXIT_WFI;
          break;
        }
        if (st !== ST_EVENT) {
          // The instruction raised exception ec with tval et (illegal: tval are the instruction bits).
          if (st === ST_ILLEGAL) {
            ec = EXC_ILLEGAL;
            et = illegalBits(h, pc, inst);
          }
          h.sliceLeft = n; // instret exact for the trap hook
          pc = exception(h, ec, et, pc);
          ph = (pc - fb) >> 1;
        }
        st = ST_OK;
      }
    }
  } catch (e) {
    // Only a bug or a host callback that threw can get here.
    h.fatalError = e;
    exit = EXIT_FATAL;
  }
  x[0] = 0;
  h.pcv = (fb + (ph << 1)) | 0;
  h.retiredBase += budget - n;
  h.stepsLast = budget - n;
  h.inRun = false;
  if (exit === EXIT_WFI) h.parkedv = true;
  return exit;
}
