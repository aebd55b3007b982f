/**
 * PLIC (sifive,plic-1.0.0) through a GuestAddressSpace: priorities,
 * pending, enables, threshold, claim/complete, level- and edge-triggered
 * gateways, both contexts (MEIP, SEIP), access rules.
 */
import { describe, it, assert } from '../harness/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { InterruptCause, type InterruptTarget } from '../../src/device/index.js';
import { Plic } from '../../src/devices/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const pa = (n: number) => n as GuestPhysAddr;
const BASE = 0x0c00_0000;
const PRIORITY = (id: number) => BASE + 4 * id;
const PENDING = (w: number) => BASE + 0x1000 + 4 * w;
const ENABLE = (ctx: number, w: number) => BASE + 0x2000 + 0x80 * ctx + 4 * w;
const THRESHOLD = (ctx: number) => BASE + 0x20_0000 + 0x1000 * ctx;
const CLAIM = (ctx: number) => THRESHOLD(ctx) + 4;

class Hart implements InterruptTarget {
  readonly mip = new Map<number, boolean>();
  setInterruptPending(cause: number, level: boolean): void {
    this.mip.set(cause, level);
  }
  get meip(): boolean {
    return this.mip.get(InterruptCause.MachineExternal) === true;
  }
  get seip(): boolean {
    return this.mip.get(InterruptCause.SupervisorExternal) === true;
  }
}

function setup(edgeTriggered: number[] = []) {
  const hart = new Hart();
  const plic = new Plic({ base: VIRT_MAP.plic.base, target: hart, edgeTriggered });
  const as = new GuestAddressSpace();
  as.addDevice(plic);
  const w = (addr: number, v: number) => assert.ok(as.write(pa(addr), 4, v), `write 0x${addr.toString(16)}`);
  const r = (addr: number) => as.read(pa(addr), 4);
  return { hart, plic, as, w, r };
}

/** Enables `ids` for context `ctx` (in word 0..2). */
function enable(w: (a: number, v: number) => void, ctx: number, ids: number[]): void {
  const words = [0, 0, 0];
  for (const id of ids) words[id >>> 5] |= 1 << (id & 31);
  words.forEach((v, i) => w(ENABLE(ctx, i), v >>> 0));
}

describe('PLIC registers', () => {
  it('priorities keep 3 bits (WARL), source 0 has none', () => {
    const { w, r } = setup();
    w(PRIORITY(10), 0xffff_ffff);
    assert.equal(r(PRIORITY(10)), 7);
    w(PRIORITY(95), 5);
    assert.equal(r(PRIORITY(95)), 5);
    w(PRIORITY(0), 5);
    assert.equal(r(PRIORITY(0)), 0);
    assert.equal(r(PRIORITY(96)), 0);
  });

  it('thresholds keep 3 bits; enables keep every source but 0; pending is read-only', () => {
    const { w, r, plic } = setup();
    w(THRESHOLD(0), 0xff);
    assert.equal(r(THRESHOLD(0)), 7);
    w(THRESHOLD(1), 3);
    assert.equal(r(THRESHOLD(1)), 3);
    w(ENABLE(0, 0), 0xffff_ffff);
    assert.equal(r(ENABLE(0, 0)), 0xffff_fffe);
    w(ENABLE(1, 2), 0xffff_ffff);
    assert.equal(r(ENABLE(1, 2)), 0xffff_ffff);
    assert.equal(r(ENABLE(0, 3)), 0, 'no word past source 95');
    w(PENDING(0), 0xffff_ffff);
    assert.equal(r(PENDING(0)), 0);
    plic.line(33).set(true);
    assert.equal(r(PENDING(1)), 2);
    assert.ok(plic.isPending(33));
  });

  it('has two contexts; the rest reads 0 and ignores writes', () => {
    const { w, r } = setup();
    w(ENABLE(2, 0), 0xffff_ffff);
    assert.equal(r(ENABLE(2, 0)), 0);
    w(THRESHOLD(2), 1);
    assert.equal(r(THRESHOLD(2)), 0);
    assert.equal(r(BASE + 0x1f_fffc), 0);
    assert.equal(r(BASE + 0x20_0008), 0);
  });

  it('takes 32-bit accesses only', () => {
    const { as } = setup();
    assert.equal(as.read(pa(PRIORITY(1)), 1), -1);
    assert.equal(as.lastFault!.kind, 'width-refused');
    assert.equal(as.write(pa(PRIORITY(1)), 2, 1), false);
  });

  it('hands out one line object per source and refuses 0 and 96', () => {
    const { plic } = setup();
    assert.equal(plic.line(10), plic.line(10));
    assert.throws(() => plic.line(0), RangeError);
    assert.throws(() => plic.line(96), RangeError);
  });
});

describe('PLIC level-triggered sources', () => {
  it('raises MEIP for a pending, enabled source above the threshold', () => {
    const { w, hart, plic } = setup();
    plic.line(10).set(true);
    assert.ok(!hart.meip, 'priority 0 never interrupts');
    w(PRIORITY(10), 1);
    assert.ok(!hart.meip, 'not enabled');
    enable(w, 0, [10]);
    assert.ok(hart.meip);
    assert.ok(!hart.seip);
    w(THRESHOLD(0), 1);
    assert.ok(!hart.meip, 'priority must exceed the threshold');
    w(THRESHOLD(0), 0);
    assert.ok(hart.meip);
  });

  it('claim clears pending; a line still high at completion requests again', () => {
    const { w, r, hart, plic } = setup();
    w(PRIORITY(10), 1);
    enable(w, 0, [10]);
    plic.line(10).set(true);
    assert.equal(r(CLAIM(0)), 10);
    assert.equal(r(PENDING(0)), 0);
    assert.ok(!hart.meip);
    assert.equal(r(CLAIM(0)), 0, 'nothing else to claim');
    w(CLAIM(0), 10);
    assert.equal(r(PENDING(0)), 1 << 10);
    assert.ok(hart.meip);
  });

  it('a request stays pending if the line drops before the claim; none follows completion', () => {
    const { w, r, hart, plic } = setup();
    w(PRIORITY(10), 1);
    enable(w, 0, [10]);
    plic.line(10).set(true);
    plic.line(10).set(false);
    assert.ok(hart.meip);
    assert.equal(r(CLAIM(0)), 10);
    w(CLAIM(0), 10);
    assert.equal(r(PENDING(0)), 0);
    assert.ok(!hart.meip);
  });

  it('a source in service forwards nothing new until completed', () => {
    const { w, r, plic } = setup();
    w(PRIORITY(5), 1);
    enable(w, 0, [5]);
    plic.line(5).set(true);
    assert.equal(r(CLAIM(0)), 5);
    plic.line(5).set(false);
    plic.line(5).set(true);
    assert.equal(r(PENDING(0)), 0);
    assert.equal(r(CLAIM(0)), 0);
  });
});

describe('PLIC claim order and completion', () => {
  it('claims by priority, ties to the lowest id', () => {
    const { w, r, plic } = setup();
    for (const [id, p] of [[3, 2], [7, 5], [5, 5], [40, 1]]) {
      w(PRIORITY(id), p);
      plic.line(id).set(true);
    }
    enable(w, 0, [3, 5, 7, 40]);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) order.push(r(CLAIM(0)));
    assert.deepEqual(order, [5, 7, 3, 40, 0]);
  });

  it('claiming ignores the threshold (spec 1.0.0); the interrupt bit does not', () => {
    const { w, r, hart, plic } = setup();
    w(PRIORITY(9), 2);
    enable(w, 0, [9]);
    w(THRESHOLD(0), 7);
    plic.line(9).set(true);
    assert.ok(!hart.meip);
    assert.equal(r(CLAIM(0)), 9);
  });

  it('ignores a completion for a source not enabled in that context', () => {
    const { w, r, plic } = setup();
    w(PRIORITY(12), 1);
    enable(w, 0, [12]);
    plic.line(12).set(true);
    assert.equal(r(CLAIM(0)), 12);
    w(CLAIM(1), 12); // context 1 does not enable 12
    assert.equal(r(PENDING(0)), 0, 'still in service: no new request');
    w(CLAIM(0), 12);
    assert.equal(r(PENDING(0)), 1 << 12);
  });

  it('context 1 drives SEIP', () => {
    const { w, r, hart, plic } = setup();
    w(PRIORITY(1), 1);
    enable(w, 1, [1]);
    plic.line(1).set(true);
    assert.ok(hart.seip);
    assert.ok(!hart.meip);
    assert.equal(r(CLAIM(0)), 0, 'not enabled for context 0');
    assert.equal(r(CLAIM(1)), 1);
    assert.ok(!hart.seip);
  });
});

describe('PLIC edge-triggered sources', () => {
  it('a rising edge is one request; an edge during service is forwarded at completion', () => {
    const { w, r, hart, plic } = setup([20]);
    w(PRIORITY(20), 3);
    enable(w, 0, [20]);
    const line = plic.line(20);
    line.set(true);
    line.set(true); // no edge
    assert.ok(hart.meip);
    assert.equal(r(CLAIM(0)), 20);
    line.set(false);
    line.set(true); // edge while in service
    line.set(false);
    assert.equal(r(PENDING(0)), 0);
    w(CLAIM(0), 20);
    assert.ok(hart.meip, 'the remembered edge');
    assert.equal(r(CLAIM(0)), 20);
    w(CLAIM(0), 20);
    assert.equal(r(PENDING(0)), 0, 'a line left low requests nothing');
    assert.ok(!hart.meip);
  });

  it('refuses an edge-triggered source outside 1..95', () => {
    assert.throws(() => new Plic({ base: VIRT_MAP.plic.base, target: new Hart(), edgeTriggered: [96] }), RangeError);
  });
});
