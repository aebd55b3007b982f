/**
 * bench:dispatch — how fast an access finds its device, as the device count grows.
 *
 * xsvisor's router (GuestAddressSpace: a three-level radix table) against
 * the seed's approach (axdevice 0.2: scan the device list for the first
 * range that contains the address), in the same run, on the same devices:
 * 4, 64 and 1024 devices of 0x100 bytes at a 4 KiB stride, addresses drawn
 * at random or in sequence. Each figure is the median of several timed
 * rounds. Last line: `dispatch ratio 1024/4: X` (xsvisor's time per lookup
 * at 1024 devices over its time at 4, random addresses).
 */
import { performance } from 'node:perf_hooks';
import { AddrRange, type GuestPhysAddr } from '../src/addr/index.js';
import { EmuDeviceType, type AccessWidth, type BaseDeviceOps } from '../src/device/index.js';
import { GuestAddressSpace } from '../src/addrspace/index.js';
import { reportTook } from './took.js';

reportTook('dispatch');

class NullDevice implements BaseDeviceOps {
  readonly name: string;
  private readonly range: AddrRange<GuestPhysAddr>;
  constructor(name: string, base: number, size: number) {
    this.name = name;
    this.range = AddrRange.fromStartSize(base as GuestPhysAddr, size);
  }
  emuType() {
    return EmuDeviceType.Dummy;
  }
  addressRange() {
    return this.range;
  }
  handleRead(offset: number, _width: AccessWidth): number {
    return offset & 0xff;
  }
  handleWrite(): void {}
}

/** The seed's router: first device whose range contains the address, by linear scan. */
class LinearScanRouter {
  private readonly devices: BaseDeviceOps[] = [];
  add(d: BaseDeviceOps): void {
    this.devices.push(d);
  }
  read(addr: GuestPhysAddr, width: AccessWidth): number {
    for (const d of this.devices) {
      if (d.addressRange().contains(addr)) return d.handleRead(addr - d.addressRange().start, width) as number;
    }
    return -1;
  }
}

const BASE = 0x1000_0000;
const STRIDE = 0x1000;
const LOOKUPS = 1 << 16;

function addresses(count: number, random: boolean): Uint32Array {
  const out = new Uint32Array(LOOKUPS);
  let seed = 12345;
  for (let i = 0; i < LOOKUPS; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const dev = random ? seed % count : i % count;
    out[i] = BASE + dev * STRIDE + ((seed >>> 8) & 0xfc);
  }
  return out;
}

/** Median nanoseconds per lookup over several rounds. */
function time(read: (addr: GuestPhysAddr) => number, addrs: Uint32Array): number {
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    let reps = 0;
    const t0 = performance.now();
    let t1 = t0;
    do {
      for (let i = 0; i < addrs.length; i++) sink += read(addrs[i] as GuestPhysAddr);
      reps++;
      t1 = performance.now();
    } while (t1 - t0 < 60);
    rounds.push(((t1 - t0) * 1e6) / (reps * addrs.length));
  }
  if (sink === -1) console.log('');
  rounds.sort((a, b) => a - b);
  return rounds[3];
}

interface Row {
  devices: number;
  pattern: string;
  xsvisorNs: number;
  scanNs: number;
}

const rows: Row[] = [];
const tableBytes = new Map<number, number>();
for (const count of [4, 64, 1024]) {
  const space = new GuestAddressSpace();
  const scan = new LinearScanRouter();
  for (let i = 0; i < count; i++) {
    const d = new NullDevice(`dev${i}`, BASE + i * STRIDE, 0x100);
    space.addDevice(d);
    scan.add(d);
  }
  tableBytes.set(count, space.tableBytes);
  for (const pattern of ['random', 'sequential']) {
    const addrs = addresses(count, pattern === 'random');
    const xsvisorNs = time((a) => space.read(a, 4), addrs);
    const scanNs = time((a) => scan.read(a, 4), addrs);
    rows.push({ devices: count, pattern, xsvisorNs, scanNs });
  }
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log('time per routed read by wall clock (ns), and lookups per second of wall time');
console.log(`${pad('devices', 7)} ${pad('addresses', 10)} ${pad('xsvisor ns', 11)} ${pad('Mlookups/s', 11)} ${pad('scan ns', 9)} ${pad('Mlookups/s', 11)} ${pad('speedup', 8)} ${pad('table bytes', 12)}`);
for (const r of rows) {
  console.log(
    `${pad(r.devices, 7)} ${pad(r.pattern, 10)} ${pad(r.xsvisorNs.toFixed(1), 11)} ${pad((1e3 / r.xsvisorNs).toFixed(1), 11)} ` +
      `${pad(r.scanNs.toFixed(1), 9)} ${pad((1e3 / r.scanNs).toFixed(1), 11)} ${pad((r.scanNs / r.xsvisorNs).toFixed(1) + 'x', 8)} ${pad(tableBytes.get(r.devices)!, 12)}`,
  );
}
const at = (n: number) => rows.find((r) => r.devices === n && r.pattern === 'random')!;
const scanRatio = at(1024).scanNs / at(4).scanNs;
console.log(`baseline (linear scan) ratio 1024/4: ${scanRatio.toFixed(2)}`);
console.log(`dispatch ratio 1024/4: ${(at(1024).xsvisorNs / at(4).xsvisorNs).toFixed(2)}`);
