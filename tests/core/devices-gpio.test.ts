/**
 * SiFive GPIO (sifive,gpio0, FE310-G002 manual chapter 17) through a
 * GuestAddressSpace with simulated pins: every register, byte lanes,
 * outputs and out_xor, inputs and pull-ups, the four interrupt kinds with
 * write-1-to-clear pending bits, per-line interrupt lines, unwired lines.
 */
import { describe, it, assert } from '../harness/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import type { IrqLine } from '../../src/device/index.js';
import { GpioReg, SifiveGpio } from '../../src/devices/index.js';
import { SimulatedPin } from '../../src/ports/sim/index.js';
import { DigitalMode, type DigitalPinFactory } from '../../src/ports/index.js';
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const pa = (n: number) => n as GuestPhysAddr;
const BASE = 0x1006_0000;
const ALL = 0xffff_ffff;

class Line implements IrqLine {
  level = false;
  sets = 0;
  set(level: boolean): void {
    this.level = level;
    this.sets++;
  }
}

function setup(wiredLines: number[] = Array.from({ length: 32 }, (_, i) => i)) {
  const pins: SimulatedPin[] = [];
  const map: { [line: number]: DigitalPinFactory } = {};
  for (let n = 0; n < 32; n++) pins.push(new SimulatedPin());
  for (const n of wiredLines) map[n] = pins[n].open;
  const lines: Line[] = [];
  const gpio = new SifiveGpio({
    base: VIRT_MAP.gpio.base,
    pins: map,
    irq: (n) => {
      lines[n] = new Line();
      return lines[n];
    },
  });
  const as = new GuestAddressSpace();
  as.addDevice(gpio);
  const r = (reg: number): number => {
    const v = as.read(pa(BASE + reg), 4);
    assert.ok(v >= 0, `read 0x${reg.toString(16)}`);
    return v;
  };
  const w = (reg: number, v: number): void => assert.ok(as.write(pa(BASE + reg), 4, v >>> 0), `write 0x${reg.toString(16)}`);
  return { pins, lines, gpio, as, r, w };
}

const RW_REGISTERS: [string, number][] = [
  ['input_en', GpioReg.InputEn], ['output_en', GpioReg.OutputEn], ['output_val', GpioReg.OutputVal],
  ['pue', GpioReg.Pue], ['ds', GpioReg.Ds], ['rise_ie', GpioReg.RiseIe], ['fall_ie', GpioReg.FallIe],
  ['high_ie', GpioReg.HighIe], ['low_ie', GpioReg.LowIe], ['iof_en', GpioReg.IofEn],
  ['iof_sel', GpioReg.IofSel], ['out_xor', GpioReg.OutXor],
];

describe('GPIO registers', () => {
  it('every read/write register keeps what is written, on all 32 lines', () => {
    const { r, w } = setup();
    for (const [name, reg] of RW_REGISTERS) {
      assert.equal(r(reg), 0, `${name} resets to 0`);
      w(reg, 0xa5a5_5a5a);
      assert.equal(r(reg), 0xa5a5_5a5a, name);
      w(reg, 0);
    }
  });

  it('input_val is read-only; offsets past out_xor read 0', () => {
    const { r, w, pins } = setup();
    w(GpioReg.InputVal, ALL);
    assert.equal(r(GpioReg.InputVal), 0);
    w(0x44, ALL);
    assert.equal(r(0x44), 0);
    assert.equal(r(0xffc), 0);
    assert.equal(pins[0].mode, DigitalMode.Input, 'wired pins start as inputs');
  });

  it('byte and halfword accesses act on their lanes', () => {
    const { as, r } = setup();
    assert.ok(as.write(pa(BASE + GpioReg.Ds + 1), 1, 0xab));
    assert.equal(r(GpioReg.Ds), 0x0000_ab00);
    assert.ok(as.write(pa(BASE + GpioReg.Ds + 2), 2, 0x1234));
    assert.equal(r(GpioReg.Ds), 0x1234_ab00);
    assert.equal(as.read(pa(BASE + GpioReg.Ds + 3), 1), 0x12);
    assert.equal(as.read(pa(BASE + GpioReg.Ds + 1), 2), -1, 'misaligned');
  });

  it('unwired lines read 0 everywhere and ignore writes', () => {
    const { r, w, gpio } = setup([0, 5, 31]);
    assert.equal(gpio.wired, 0x8000_0021);
    for (const [name, reg] of RW_REGISTERS) {
      w(reg, ALL);
      assert.equal(r(reg), 0x8000_0021, name);
    }
    w(GpioReg.LowIp, ALL);
    assert.equal(r(GpioReg.LowIp) & ~0x8000_0021, 0);
  });

  it('refuses a pin map key that is not a line', () => {
    assert.throws(() => new SifiveGpio({ base: VIRT_MAP.gpio.base, pins: { 32: new SimulatedPin().open } }), RangeError);
  });
});

describe('GPIO outputs', () => {
  it('output_en opens the pin as an output driving output_val XOR out_xor', () => {
    const { w, r, pins } = setup();
    w(GpioReg.OutputVal, 0b101);
    w(GpioReg.OutputEn, 0b011);
    assert.equal(pins[0].mode, DigitalMode.Output);
    assert.equal(pins[0].level, 1);
    assert.equal(pins[1].level, 0);
    assert.equal(pins[2].mode, DigitalMode.Input, 'not enabled: still an input');
    w(GpioReg.OutXor, 0b011);
    assert.equal(pins[0].level, 0);
    assert.equal(pins[1].level, 1);
    w(GpioReg.InputEn, 0b011);
    assert.equal(r(GpioReg.InputVal), 0b010, 'an output reads back what it drives');
    w(GpioReg.OutputEn, 0);
    assert.equal(pins[0].mode, DigitalMode.Input);
  });

  it('writes a pin only when its level changes', () => {
    const { w, pins } = setup();
    w(GpioReg.OutputEn, 1);
    const writes = pins[0].stats.writes;
    w(GpioReg.OutputVal, 2);
    w(GpioReg.OutputVal, 0);
    assert.equal(pins[0].stats.writes, writes);
    w(GpioReg.OutputVal, 1);
    assert.equal(pins[0].stats.writes, writes + 1);
  });
});

describe('GPIO inputs and interrupts', () => {
  it('input_val shows the pin when input_en is set; pue pulls a floating pin up', () => {
    const { w, r, pins } = setup();
    pins[3].drive(1);
    assert.equal(r(GpioReg.InputVal), 0, 'input_en off');
    w(GpioReg.InputEn, 1 << 3 | 1 << 4);
    assert.equal(r(GpioReg.InputVal), 1 << 3);
    w(GpioReg.Pue, 1 << 4);
    assert.equal(pins[4].mode, DigitalMode.InputPullUp);
    assert.equal(r(GpioReg.InputVal), 1 << 3 | 1 << 4);
    pins[4].drive(0);
    assert.equal(r(GpioReg.InputVal), 1 << 3);
  });

  it('rise_ip latches a rising edge, raises line n with rise_ie, and clears on writing 1', () => {
    const { w, r, pins, lines } = setup();
    w(GpioReg.InputEn, 1 << 7);
    w(GpioReg.RiseIp, ALL);
    pins[7].drive(1);
    assert.equal(r(GpioReg.RiseIp), 1 << 7, 'pending even with the interrupt disabled');
    assert.ok(!lines[7].level);
    w(GpioReg.RiseIe, 1 << 7);
    assert.ok(lines[7].level);
    assert.ok(!lines[6].level);
    w(GpioReg.RiseIp, 1 << 6); // writing 1 elsewhere clears nothing here
    assert.equal(r(GpioReg.RiseIp), 1 << 7);
    w(GpioReg.RiseIp, 1 << 7);
    assert.equal(r(GpioReg.RiseIp), 0);
    assert.ok(!lines[7].level);
  });

  it('fall_ip latches a falling edge', () => {
    const { w, r, pins, lines } = setup();
    pins[9].drive(1);
    w(GpioReg.InputEn, 1 << 9);
    w(GpioReg.FallIe, 1 << 9);
    assert.equal(r(GpioReg.FallIp), 0);
    pins[9].drive(0);
    assert.equal(r(GpioReg.FallIp), 1 << 9);
    assert.ok(lines[9].level);
    w(GpioReg.FallIp, 1 << 9);
    assert.ok(!lines[9].level);
  });

  it('high_ip and low_ip follow the level: clearing one while its level holds sets it again', () => {
    const { w, r, pins, lines } = setup();
    w(GpioReg.InputEn, 1);
    w(GpioReg.HighIe, 1);
    assert.equal(r(GpioReg.HighIp) & 1, 0);
    assert.equal(r(GpioReg.LowIp) & 1, 1, 'the line is low');
    pins[0].drive(1);
    assert.equal(r(GpioReg.HighIp) & 1, 1);
    assert.ok(lines[0].level);
    w(GpioReg.HighIp, 1);
    assert.equal(r(GpioReg.HighIp) & 1, 1, 'still high: set again');
    assert.ok(lines[0].level);
    pins[0].drive(0);
    w(GpioReg.HighIp, 1);
    assert.equal(r(GpioReg.HighIp) & 1, 0);
    assert.ok(!lines[0].level);
    w(GpioReg.LowIe, 1);
    assert.ok(lines[0].level, 'low_ip with low_ie');
  });

  it('an output toggled with input_en makes edges too (the pin loops back)', () => {
    const { w, r, lines } = setup();
    w(GpioReg.InputEn, 1 << 2);
    w(GpioReg.OutputEn, 1 << 2);
    w(GpioReg.RiseIe, 1 << 2);
    w(GpioReg.OutputVal, 1 << 2);
    assert.equal(r(GpioReg.RiseIp), 1 << 2);
    assert.ok(lines[2].level);
  });

  it('drives each line only when its level changes', () => {
    const { w, pins, lines } = setup();
    w(GpioReg.InputEn, 1);
    w(GpioReg.RiseIe, 1);
    const before = lines[0].sets;
    pins[0].drive(1);
    w(GpioReg.Ds, 5);
    w(GpioReg.Ds, 6);
    assert.equal(lines[0].sets, before + 1);
  });
});

describe('GPIO lifetime', () => {
  it('close() closes every open pin', () => {
    const { gpio, pins, w } = setup([1, 2]);
    w(GpioReg.OutputEn, 1 << 1);
    gpio.close();
    gpio.close();
    assert.equal(pins[1].mode, null);
    assert.equal(pins[2].mode, null);
  });
});

describe('GPIO interrupt wiring', () => {
  it('takes an array of lines as well as a function', () => {
    const lines = [new Line(), undefined, new Line()];
    const pins: { [n: number]: DigitalPinFactory } = { 0: new SimulatedPin().open, 1: new SimulatedPin().open, 2: new SimulatedPin().open };
    const gpio = new SifiveGpio({ base: VIRT_MAP.gpio.base, pins, irq: lines });
    const as = new GuestAddressSpace();
    as.addDevice(gpio);
    assert.ok(as.write(pa(BASE + GpioReg.LowIe), 4, 0b111));
    assert.ok(lines[0]!.level);
    assert.ok(lines[2]!.level);
  });
});
