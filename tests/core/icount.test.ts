/**
 * Instruction-count time (src/monitor/icount.ts) and the QEMU-style
 * options of a VM: mtime under --icount SHIFT is floor(n * 2^SHIFT / 100)
 * exactly (checked against BigInt arithmetic, far past 2^53 / 2^SHIFT
 * where doubles would round), --deterministic keeps 1000 ns per
 * instruction and its whole-microsecond warps, auto steps its shift as
 * QEMU's icount_adjust does, snapshots refuse another mode; the
 * configuration's icount and load keys; a VM's given device tree (with
 * bootargs set in it) and its data images, with their refusals.
 */
import { describe, it, assert } from '../harness/index.js';
import { validateBoard, type Board } from '../../src/board/index.js';
import { Clint } from '../../src/devices/index.js';
import { DeviceStateError } from '../../src/state/index.js';
import { buildVirtDeviceTree } from '../../src/machine/index.js';
import { fdtValueStrings, findFdtNode, parseFdt } from '../../src/fdt/index.js';
import { ICOUNT_AUTO_INITIAL_SHIFT, InstructionClock, MonitorConfigError, validateMonitorConfig, VirtVm, VmConfigError } from '../../src/monitor/index.js';
import { VIRT_MAP } from '../../src/machine/index.js';

const noTarget = { setInterruptPending(): void {} };

function exactMtime(n: bigint, nsPer: bigint): bigint {
  return (n * nsPer) / 100n;
}

describe('icount: the instruction clock', () => {
  it('--icount SHIFT: mtime is floor(n * 2^SHIFT / 100), exactly, for every shift and large counts', () => {
    for (let shift = 0; shift <= 10; shift++) {
      let n = 0;
      const ic = new InstructionClock({ mode: shift, count: () => n });
      const clint = new Clint({ base: VIRT_MAP.clint.base, clock: ic, target: noTarget });
      for (const count of [0, 1, 99, 100, 101, 12345, 99_999_999, 2 ** 40 + 3, Math.floor(2 ** 53 / 2 ** shift) - 7]) {
        n = count;
        const want = exactMtime(BigInt(count), BigInt(2 ** shift));
        assert.equal(clint.mtime(), want, `shift ${shift}, ${count} instructions`);
      }
    }
  });

  it('--deterministic: 1000 ns per instruction, warps rounded up to whole microseconds (the rule saved outputs were made with)', () => {
    let n = 0;
    const ic = new InstructionClock({ count: () => n });
    assert.equal(ic.nanosPerInstruction, 1000);
    n = 7;
    assert.equal(ic.now(), 7);
    assert.equal(ic.ticks(10_000_000), 70);
    ic.warpTo(10.2);
    assert.equal(ic.now(), 11);
    assert.equal(ic.skipped, 4);
    assert.deepEqual(ic.saveState(), { warped: 4 });
  });

  it('--icount SHIFT: a warp goes to the nanosecond: now plus the ticks to go times 100 ns, as QEMU arms its mtimer', () => {
    let n = 3;
    const ic = new InstructionClock({ mode: 2, count: () => n });
    const clint = new Clint({ base: VIRT_MAP.clint.base, clock: ic, target: noTarget });
    clint.handleWrite(0x4000, 8, 12_345n);
    ic.warpTo(clint.nextDeadline());
    assert.equal(clint.mtime(), 12_345n);
    // 12 ns read mtime 0; 12 345 ticks to go are 1 234 500 ns (hw/intc/riscv_aclint.c: next = now + diff * 10^9 / freq).
    assert.equal(ic.nanos(), 12 + 1_234_500, 'not rounded to a microsecond');
    n = 4;
    assert.equal(ic.nanos(), 12 + 1_234_500 + 4);
  });

  it('refuses shifts outside 0-10 and auto without a host clock', () => {
    for (const bad of [-1, 11, 2.5]) assert.throws(() => new InstructionClock({ mode: bad }), RangeError);
    assert.throws(() => new InstructionClock({ mode: 'auto' }), RangeError);
  });

  it('auto: starts at shift 3, steps down when the guest runs ahead of the host, up when it falls behind, never jumping', () => {
    let n = 0;
    let hostUs = 0;
    const ic = new InstructionClock({ mode: 'auto', count: () => n, host: { now: () => hostUs } });
    assert.equal(ic.nanosPerInstruction, 2 ** ICOUNT_AUTO_INITIAL_SHIFT);
    ic.adjust(); // the baseline
    // 1 s of host time, 500 M instructions at 8 ns: the guest is 3 s ahead, and further than last time: one step down.
    hostUs += 1_000_000;
    n += 500_000_000;
    const before = ic.nanos();
    ic.adjust();
    assert.equal(ic.nanosPerInstruction, 4);
    assert.equal(ic.nanos(), before, 'the reading goes on from where it was');
    // Within the period nothing changes.
    hostUs += 50_000;
    ic.adjust();
    assert.equal(ic.nanosPerInstruction, 4);
    // A slow guest: 100 s of host time, 1000 instructions: far behind, and further: one step up each period.
    hostUs += 100_000_000;
    n += 1000;
    ic.adjust();
    assert.equal(ic.nanosPerInstruction, 8);
    hostUs += 100_000_000;
    ic.adjust();
    assert.equal(ic.nanosPerInstruction, 16);
    assert.throws<DeviceStateError>(() => ic.saveState(), DeviceStateError);
  });

  it('snapshots: a clock restores only a record of its own mode', () => {
    const det = new InstructionClock();
    const s2 = new InstructionClock({ mode: 2 });
    s2.warpTo(1.5);
    const saved = s2.saveState();
    assert.deepEqual(saved, { warpedNs: 1500, nsPerInstruction: 4 });
    const again = new InstructionClock({ mode: 2 });
    again.restoreState(saved);
    assert.equal(again.nanos(), 1500);
    assert.throws<DeviceStateError>(() => det.restoreState(saved), DeviceStateError);
    assert.throws<DeviceStateError>(() => new InstructionClock({ mode: 3 }).restoreState(saved), DeviceStateError);
    assert.throws<DeviceStateError>(() => again.restoreState({ warped: 3 }), DeviceStateError);
  });
});

function board(): Board {
  return validateBoard({ name: 'host-sim', platform: 'host', ramBudget: '1GiB', devices: ['clint', 'plic', 'uart0', 'test-finisher'], uart0: { serial: 'stdio' } }, 'boards/host-sim.json');
}

describe('configuration: icount and load', () => {
  const vm = { name: 'a', image: 'a.elf' };
  const validate = (doc: unknown) => validateMonitorConfig(doc, 'vms.json', () => board());
  it('icount: a shift 0-10 or "auto"; not beside deterministic', () => {
    assert.equal(validate({ board: 'host-sim', icount: 4, vms: [vm] }).icount, 4);
    assert.equal(validate({ board: 'host-sim', icount: 'auto', vms: [vm] }).icount, 'auto');
    assert.equal(validate({ board: 'host-sim', vms: [vm] }).icount, null);
    for (const bad of [11, -1, 1.5, 'fast', true]) {
      const e = assert.throws<MonitorConfigError>(() => validate({ board: 'host-sim', icount: bad, vms: [vm] }), MonitorConfigError);
      assert.match(e.message, /\$\.icount: must be an integer 0-10/);
    }
    const e = assert.throws<MonitorConfigError>(() => validate({ board: 'host-sim', icount: 2, deterministic: true, vms: [vm] }), MonitorConfigError);
    assert.match(e.message, /\$\.icount: and \$\.deterministic both set the clock/);
  });
  it('load: files with addresses; bad entries named by path', () => {
    const c = validate({ board: 'host-sim', vms: [{ ...vm, load: [{ file: 'romfs.img', addr: '0x80610000' }, { file: 'b', addr: 2147483648 }] }] });
    assert.deepEqual(c.vms[0].loads, [{ file: 'romfs.img', addr: 0x8061_0000 }, { file: 'b', addr: 0x8000_0000 }]);
    const e = assert.throws<MonitorConfigError>(() => validate({ board: 'host-sim', vms: [{ ...vm, load: [{ file: '', addr: 'x' }, { file: 'f', addr: 1, size: 2 }] }] }), MonitorConfigError);
    assert.match(e.message, /\$\.vms\[0\]\.load\[0\]\.file: must be the path of a file/);
    assert.match(e.message, /\$\.vms\[0\]\.load\[0\]\.addr: must be a guest physical address/);
    assert.match(e.message, /\$\.vms\[0\]\.load\[1\]\.size: unknown key/);
  });
});

const LOOP = new Uint8Array([0x6f, 0x00, 0x00, 0x00]); // j .
const clock = { now: (): number => 0 };

describe('VirtVm: a given device tree (QEMU -dtb) and data images (QEMU -device loader)', () => {
  it('the given blob replaces the generated one, with bootargs set in /chosen as -append does', () => {
    // With a GPIO node, which this board (no gpio) would not generate.
    const mine = buildVirtDeviceTree({ ramSize: 16 << 20, ramBase: 0x8000_0000, gpio: true });
    const vm = new VirtVm({ image: LOOP, clock, ramSize: 16 << 20, board: board(), dtb: mine, dtbName: 'my.dtb', bootargs: 'console=ttyS0 root=/dev/ram' });
    const inRam = parseFdt(vm.space.ramBytes(vm.fdtAddress as never, vm.fdtSize)!);
    assert.deepEqual(fdtValueStrings(findFdtNode(inRam.root, '/chosen')!.properties.get('bootargs')!), ['console=ttyS0 root=/dev/ram']);
    assert.ok(findFdtNode(inRam.root, '/soc/gpio@10060000') !== undefined, 'the given tree, not the generated one');
    const plain = new VirtVm({ image: LOOP, clock, ramSize: 16 << 20, board: board(), dtb: mine });
    assert.deepEqual(plain.space.ramBytes(plain.fdtAddress as never, plain.fdtSize), mine, 'without bootargs: byte for byte');
    vm.close();
    plain.close();
  });

  it('a blob that is not a device tree: refused naming the file', () => {
    const e = assert.throws<VmConfigError>(() => new VirtVm({ image: LOOP, clock, board: board(), dtb: new TextEncoder().encode('not a tree, just text long enough to hold a header'), dtbName: 'bad.dtb' }), VmConfigError);
    assert.equal(e.reason, 'bad-device-tree');
    assert.match(e.message, /^dtb: bad\.dtb: not a usable device tree blob: device tree: magic 0x6e6f7420 is not 0xd00dfeed/);
  });

  it('data images land at their addresses, again after a guest reset; outside RAM or overlapping is refused', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const vm = new VirtVm({ image: LOOP, clock, ramSize: 16 << 20, board: board(), loads: [{ name: 'romfs.img', addr: 0x8061_0000, bytes: data }] });
    assert.deepEqual(vm.space.ramBytes(0x8061_0000 as never, 5), data);
    vm.close();
    const refused = (loads: { name: string; addr: number; bytes: Uint8Array }[], why: RegExp): void => {
      const e = assert.throws<VmConfigError>(() => new VirtVm({ image: LOOP, clock, ramSize: 16 << 20, board: board(), loads }), VmConfigError);
      assert.equal(e.reason, 'bad-load');
      assert.match(e.message, why);
    };
    refused([{ name: 'f', addr: 0x8100_0000 - 2, bytes: data }], /^loads: f@0x80fffffe: \[0x80fffffe, 0x81000003\) \(5 bytes\) is not inside guest RAM \[0x80000000, 0x81000000\)/);
    refused([{ name: 'f', addr: 0x1000, bytes: data }], /f@0x1000: .* is not inside guest RAM/);
    refused([{ name: 'f', addr: 0x8000_0002, bytes: data }], /f@0x80000002: \[0x80000002, 0x80000007\) overlaps image \(program header 0\) at \[0x80000000, 0x80000004\)/);
    refused([{ name: 'a', addr: 0x8020_0000, bytes: data }, { name: 'b', addr: 0x8020_0004, bytes: data }], /b@0x80200004: .* overlaps a@0x80200000/);
    refused([{ name: 'e', addr: 0x8020_0000, bytes: new Uint8Array(0) }], /e@0x80200000: the file is empty/);
    const fdtVm = new VirtVm({ image: LOOP, clock, ramSize: 16 << 20, board: board() });
    refused([{ name: 't', addr: fdtVm.fdtAddress, bytes: data }], /overlaps the device tree/);
    fdtVm.close();
  });
});
