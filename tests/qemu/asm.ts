// asm.ts: a minimal label-resolving assembler on top of encode.ts. Owns
// the byte layout of a raw image (little-endian 16/32-bit parcels, as the
// unprivileged spec section 1.5 requires) and late binding of branch and
// jump targets, so generators can jump forward to code not yet emitted.

import * as E from './encode.js';
import type { BranchOp, Reg } from './encode.js';

type Fixup =
  | { kind: 'branch'; at: number; label: string; op: BranchOp; rs1: Reg; rs2: Reg }
  | { kind: 'jal'; at: number; label: string; rd: Reg }
  | { kind: 'c.j' | 'c.jal'; at: number; label: string }
  | { kind: 'c.beqz' | 'c.bnez'; at: number; label: string; rs1: Reg }
  | { kind: 'auipc+jalr'; at: number; label: string; tmp: Reg; rd: Reg }
  | { kind: 'auipc+addi'; at: number; label: string; rd: Reg };

export class ProgramBuilder {
  private bytes: number[] = [];
  private labels = new Map<string, number>();
  private fixups: Fixup[] = [];

  constructor(readonly base: number) {}

  /** Address of the next instruction. */
  here(): number {
    return this.base + this.bytes.length;
  }

  get size(): number {
    return this.bytes.length;
  }

  label(name: string): void {
    if (this.labels.has(name)) throw new Error(`label defined twice: ${name}`);
    this.labels.set(name, this.here());
  }

  emit32(word: number): void {
    for (let i = 0; i < 4; i++) this.bytes.push((word >>> (8 * i)) & 0xff);
  }

  emit16(half: number): void {
    if (!E.isCompressed(half)) throw new Error(`not a 16-bit instruction: 0x${half.toString(16)}`);
    this.bytes.push(half & 0xff, (half >>> 8) & 0xff);
  }

  emit(words: number[]): void {
    for (const w of words) this.emit32(w);
  }

  li(rd: Reg, value: number): void {
    this.emit(E.li(rd, value));
  }

  branchTo(op: BranchOp, rs1: Reg, rs2: Reg, label: string): void {
    this.fixups.push({ kind: 'branch', at: this.size, label, op, rs1, rs2 });
    this.emit32(0);
  }

  jalTo(rd: Reg, label: string): void {
    this.fixups.push({ kind: 'jal', at: this.size, label, rd });
    this.emit32(0);
  }

  cJTo(label: string): void {
    this.fixups.push({ kind: 'c.j', at: this.size, label });
    this.emit16(0x0001);
  }

  cJalTo(label: string): void {
    this.fixups.push({ kind: 'c.jal', at: this.size, label });
    this.emit16(0x0001);
  }

  cBeqzTo(rs1: Reg, label: string): void {
    this.fixups.push({ kind: 'c.beqz', at: this.size, label, rs1 });
    this.emit16(0x0001);
  }

  cBnezTo(rs1: Reg, label: string): void {
    this.fixups.push({ kind: 'c.bnez', at: this.size, label, rs1 });
    this.emit16(0x0001);
  }

  /** auipc tmp, 0; jalr rd, off(tmp): an indirect jump to `label`. */
  auipcJalrTo(tmp: Reg, rd: Reg, label: string): void {
    this.fixups.push({ kind: 'auipc+jalr', at: this.size, label, tmp, rd });
    this.emit32(0);
    this.emit32(0);
  }

  /** auipc rd, 0; addi rd, rd, off: rd = address of `label` (near). */
  addressOf(rd: Reg, label: string): void {
    this.fixups.push({ kind: 'auipc+addi', at: this.size, label, rd });
    this.emit32(0);
    this.emit32(0);
  }

  private put32(at: number, word: number): void {
    for (let i = 0; i < 4; i++) this.bytes[at + i] = (word >>> (8 * i)) & 0xff;
  }

  private put16(at: number, half: number): void {
    this.bytes[at] = half & 0xff;
    this.bytes[at + 1] = (half >>> 8) & 0xff;
  }

  /** Resolve every label reference and return the image. */
  finish(): Uint8Array {
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`undefined label: ${f.label}`);
      const off = target - (this.base + f.at);
      switch (f.kind) {
        case 'branch': this.put32(f.at, E.branch(f.op, f.rs1, f.rs2, off)); break;
        case 'jal': this.put32(f.at, E.jal(f.rd, off)); break;
        case 'c.j': this.put16(f.at, E.cJ(off)); break;
        case 'c.jal': this.put16(f.at, E.cJal(off)); break;
        case 'c.beqz': this.put16(f.at, E.cBeqz(f.rs1, off)); break;
        case 'c.bnez': this.put16(f.at, E.cBnez(f.rs1, off)); break;
        case 'auipc+jalr': {
          this.put32(f.at, E.auipc(f.tmp, 0));
          this.put32(f.at + 4, E.jalr(f.rd, f.tmp, off));
          break;
        }
        case 'auipc+addi': {
          this.put32(f.at, E.auipc(f.rd, 0));
          this.put32(f.at + 4, E.aluImm('addi', f.rd, f.rd, off));
          break;
        }
      }
    }
    return Uint8Array.from(this.bytes);
  }
}
