/**
 * The in-memory ports: bounded serial line, simulated pin, manual clock and
 * scheduler. They stand in for ECMA-419 objects in every device test, so
 * their own contract is checked first.
 */
import { describe, it, assert } from '../harness/index.js';
import { ManualClock, ManualScheduler, MemorySerial, PortError, SimulatedPin } from '../../src/ports/sim/index.js';
import {
  DigitalEdge,
  DigitalMode,
} from '../../src/ports/index.js';

describe('MemorySerial', () => {
  it('delivers injected bytes through onReadable and read(), in order, then undefined', () => {
    const line = new MemorySerial();
    const counts: number[] = [];
    const port = line.open({ onReadable: (n) => counts.push(n) });
    assert.equal(line.inject('ab'), 2);
    assert.deepEqual(counts, [2]);
    assert.equal(port.read(), 0x61);
    assert.equal(port.read(), 0x62);
    assert.equal(port.read(), undefined);
  });

  it('bounds its input: inject refuses what does not fit and counts it', () => {
    const line = new MemorySerial({ inputCapacity: 4 });
    line.open({});
    assert.equal(line.inject([1, 2, 3, 4, 5, 6]), 4);
    assert.equal(line.stats.injectRefused, 2);
    assert.equal(line.waiting, 4);
  });

  it('reports its room at open and after takeOutput; a throttled port takes only its allowance', () => {
    const line = new MemorySerial({ outputCapacity: 8, writable: 2 });
    const room: number[] = [];
    const port = line.open({ onWritable: (n) => room.push(n) });
    assert.deepEqual(room, [2]);
    port.write(1);
    port.write(2);
    port.write(3); // past the budget: dropped
    assert.equal(line.stats.overflowWrites, 1);
    assert.deepEqual(Array.from(line.takeOutput()), [1, 2]);
    line.unthrottle();
    assert.equal(room[room.length - 1], 8);
    line.setWritable(3);
    assert.equal(room[room.length - 1], 3);
  });

  it('refuses a second open and stops calling back after close', () => {
    const line = new MemorySerial();
    let calls = 0;
    const port = line.open({ onReadable: () => calls++ });
    assert.throws(() => line.open({}), PortError, (e: PortError) => e.reason === 'in-use');
    port.close();
    port.close();
    line.inject('x');
    assert.equal(calls, 0);
    assert.equal(port.read(), undefined);
    line.open({}); // open again after close
  });
});

describe('SimulatedPin', () => {
  it('reports the edges asked for, and reads the wire', () => {
    const pin = new SimulatedPin();
    let edges = 0;
    const p = pin.open({ mode: DigitalMode.Input, edge: DigitalEdge.Rising, onReadable: () => edges++ });
    assert.equal(p.read(), 0);
    pin.drive(1);
    assert.equal(edges, 1);
    assert.equal(p.read(), 1);
    pin.drive(0); // falling: not asked for
    assert.equal(edges, 1);
  });

  it('floats to 1 with the pull-up and shows an output\'s level', () => {
    const pin = new SimulatedPin();
    let p = pin.open({ mode: DigitalMode.InputPullUp });
    assert.equal(p.read(), 1);
    p.close();
    p = pin.open({ mode: DigitalMode.Output });
    p.write(1);
    assert.equal(pin.level, 1);
    pin.drive(0); // the output wins
    assert.equal(pin.level, 1);
    assert.equal(pin.stats.opens, 2);
  });
});

describe('ManualClock and ManualScheduler', () => {
  it('the clock only moves forward', () => {
    const c = new ManualClock({ now: 5 });
    c.advance(2.5);
    assert.equal(c.now(), 7.5);
    assert.throws(() => c.set(7), PortError);
    assert.throws(() => c.advance(-1), PortError);
  });

  it('runs soon() tasks in order, timers when due, and not what is cancelled', () => {
    const s = new ManualScheduler();
    const log: string[] = [];
    s.after(10, () => log.push('t10'));
    const gone = s.after(5, () => log.push('t5'));
    s.soon(() => log.push('a'));
    s.soon(() => {
      log.push('b');
      s.soon(() => log.push('c')); // scheduled while running: next round
    });
    s.cancel(gone);
    assert.equal(s.runDue(), 2);
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(s.advance(20), 2);
    assert.deepEqual(log, ['a', 'b', 'c', 't10']);
    assert.equal(s.clock.now(), 20);
    assert.equal(s.pending, 0);
  });

  it('is bounded', () => {
    const s = new ManualScheduler({ capacity: 2 });
    s.soon(() => {});
    s.soon(() => {});
    assert.throws(() => s.soon(() => {}), PortError, (e: PortError) => e.reason === 'full');
  });
});
