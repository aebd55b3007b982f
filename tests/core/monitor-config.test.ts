/**
 * Monitor configuration: a good file becomes VMs with their own boards
 * (pins renumbered to guest lines, devices), and every mistake is refused
 * before anything boots, with the JSON path and, for a conflict, both VMs.
 */
import { describe, it, assert } from '../harness/index.js';
import { validateBoard, type Board } from '../../src/board/index.js';
import { MonitorConfigError, parseMonitorConfig, validateMonitorConfig, DEFAULT_VM_RAM, type MonitorConfig } from '../../src/monitor/index.js';

function hostSim(): Board {
  return validateBoard({
    name: 'host-sim',
    platform: 'host',
    ramBudget: '1GiB',
    devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher', 'virtio-mmio', 'htif'],
    uart0: { serial: 'stdio' },
    gpio: { lines: [
      { line: 0, name: 'led', pin: 0, direction: 'output' },
      { line: 1, name: 'button', pin: 1, direction: 'input', pull: 'up' },
      { line: 2, name: 'relay', pin: 7, direction: 'output' },
    ] },
  }, 'boards/host-sim.json');
}

function noGpio(): Board {
  return validateBoard({
    name: 'bare', platform: 'host', ramBudget: '64MiB',
    devices: ['clint', 'plic', 'uart0', 'test-finisher'], uart0: { serial: 'tcp:4000' },
  }, 'boards/bare.json');
}

const loadBoard = (name: string): Board => {
  if (name === 'host-sim') return hostSim();
  if (name === 'bare') return noGpio();
  throw new Error(`boards/${name}.json: no such board file`);
};

function validate(doc: unknown): MonitorConfig {
  return validateMonitorConfig(doc, 'vms.json', loadBoard);
}

/** The problems of a refused document, as `PATH: PROBLEM` lines. */
function problems(doc: unknown): string[] {
  const e = assert.throws<MonitorConfigError>(() => validate(doc), MonitorConfigError);
  assert.equal(e.file, 'vms.json');
  assert.ok(e.message.startsWith(`vms.json: ${e.path}: `), e.message);
  return e.problems.map((p) => `${p.path}: ${p.problem}`);
}

/** Exactly one problem, at `path`, whose text matches every pattern. */
function oneProblem(doc: unknown, path: string, ...patterns: RegExp[]): void {
  const list = problems(doc);
  assert.equal(list.length, 1, list.join('\n'));
  assert.ok(list[0].startsWith(`${path}: `), list[0]);
  for (const p of patterns) assert.match(list[0], p);
}

const vm = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image: `${name}.elf`, ram: '16MiB', ...extra });

describe('monitor config: accepted', () => {
  it('two VMs with defaults: console UART, no firmware, stop on fault, all of the board\'s devices', () => {
    const c = validate({ board: 'host-sim', vms: [vm('a'), { name: 'b', image: 'b.bin' }] });
    assert.equal(c.vms.length, 2);
    assert.equal(c.deterministic, false);
    assert.equal(c.vms[0].uart.kind, 'console');
    assert.equal(c.vms[1].ramSize, DEFAULT_VM_RAM);
    assert.equal(c.vms[0].firmware, 'none');
    assert.equal(c.vms[0].onFault, 'stop');
    assert.deepEqual(c.vms[0].devices, hostSim().devices);
    assert.equal(c.vms[0].board.gpioLines.length, 0, 'no pins given: no line reaches a pin');
    assert.equal(c.vms[1].path, '$.vms[1]');
  });

  it('pins are renumbered to the guest line; the VM board wires only them', () => {
    const c = validate({ board: 'host-sim', deterministic: true, slice: 5000, vms: [
      vm('a', { pins: { 3: 'led', 0: 'button' }, firmware: 'sbi', onFault: 'restart', uart: 'uart0' }),
      vm('b', { pins: { 0: 'relay' }, uart: 'none', devices: ['clint', 'plic', 'uart0', 'gpio', 'test-finisher'] }),
    ] });
    assert.equal(c.deterministic, true);
    assert.equal(c.slice, 5000);
    const a = c.vms[0];
    assert.deepEqual(a.board.gpioLines.map((l) => [l.line, l.name, l.pin, l.direction]), [[0, 'button', 1, 'input'], [3, 'led', 0, 'output']]);
    assert.equal(a.firmware, 'sbi');
    assert.equal(a.onFault, 'restart');
    assert.equal(a.uart.kind, 'board-uart');
    const b = c.vms[1];
    assert.deepEqual(b.board.gpioLines.map((l) => [l.line, l.pin]), [[0, 7]]);
    assert.equal(b.board.has('virtio-mmio'), false);
    assert.equal(b.board.has('gpio'), true);
    assert.equal(b.uart.kind, 'none');
  });

  it('several VMs may share the console; host serials of their own are fine', () => {
    const c = validate({ board: 'host-sim', vms: [vm('a', { uart: 'console' }), vm('b', { uart: 'console' }), vm('c', { uart: 'tcp:5000' }), vm('d', { uart: 'pty' }), vm('e', { uart: 'pty' })] });
    assert.deepEqual(c.vms.map((v) => v.uart.kind), ['console', 'console', 'host', 'host', 'host']);
  });

  it('tcp:PORT waits for its client, tcp:PORT,nowait does not; one port either way', () => {
    const c = validate({ board: 'host-sim', vms: [vm('a', { uart: 'tcp:5000' }), vm('b', { uart: 'tcp:5001,nowait' })] });
    assert.deepEqual(c.vms.map((v) => v.uart), [{ kind: 'host', serial: { kind: 'tcp', port: 5000, wait: true } }, { kind: 'host', serial: { kind: 'tcp', port: 5001, wait: false } }]);
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'tcp:7000' }), vm('b', { uart: 'tcp:7000,nowait' })] }, '$.vms[1].uart', /TCP port 7000.*VM 'a'/);
  });

  it('parses text, and names a file that is not JSON', () => {
    assert.equal(parseMonitorConfig(JSON.stringify({ board: 'host-sim', vms: [vm('a')] }), 'x.json', loadBoard).vms[0].name, 'a');
    const e = assert.throws<MonitorConfigError>(() => parseMonitorConfig('{ nope', 'x.json', loadBoard), MonitorConfigError);
    assert.equal(e.path, '$');
    assert.match(e.message, /^x\.json: \$: is not valid JSON/);
  });
});

describe('monitor config: refused, with the JSON path and the conflict', () => {
  it('a pin given to two VMs names both', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 0: 'led' } }), vm('b', { pins: { 0: 'led' } })] },
      '$.vms[1].pins.0', /pin "led" is already given to VM 'a' at \$\.vms\[0\]\.pins\.0/);
  });

  it('a pin given twice within one VM', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 0: 'led', 4: 'led' } })] }, '$.vms[0].pins.4', /already given to this VM/);
  });

  it('a UART given to two VMs names both', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'uart0' }), vm('b', { uart: 'uart0' })] },
      '$.vms[1].uart', /"uart0" \(the board's UART0\) is given to VM 'b' but already given to VM 'a' at \$\.vms\[0\]\.uart/);
  });

  it('the board UART given to one VM and shared by another', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'console' }), vm('b', { uart: 'uart0' })] },
      '$.vms[1].uart', /already shared as "console" with VM 'a'/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'uart0' }), vm('b')] },
      '$.vms[1].uart', /shared as "console" to VM 'b' but already given to VM 'a'/);
  });

  it('the terminal given twice: directly and through a UART0 wired to it', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'uart0' }), vm('b', { uart: 'stdio' })] }, '$.vms[1].uart', /the terminal/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'tcp:7000' }), vm('b', { uart: 'tcp:7000' })] }, '$.vms[1].uart', /TCP port 7000.*VM 'a'/);
  });

  it('RAM above the board budget (the sum of the VMs) names the VMs', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { ram: '768MiB' }), vm('b', { ram: 256 * 1024 * 1024 }), vm('c', { ram: '4KiB' })] },
      '$.vms[2].ram', /4 KiB for VM 'c' brings the VMs' RAM to 1048580 KiB, more than the ramBudget of board 'host-sim' \(1 GiB\) \(already given: 'a' 768 MiB, 'b' 256 MiB\)/);
  });

  it('an unknown UART, device or pin', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'uart1' })] }, '$.vms[0].uart', /"uart1" is not a UART of the board \(board 'host-sim' has one UART, "uart0"\)/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { devices: ['clint', 'plic', 'uart0', 'test-finisher', 'dma'] })] }, '$.vms[0].devices[4]', /"dma" is not a device of the virt machine/);
    oneProblem({ board: 'bare', vms: [vm('a', { devices: ['clint', 'plic', 'uart0', 'test-finisher', 'gpio'] })] }, '$.vms[0].devices[4]', /"gpio" is not a device of board 'bare'/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 0: 'lde' } })] }, '$.vms[0].pins.0', /board 'host-sim' has no pin named "lde" \(its pins: led, button, relay\)/);
    oneProblem({ board: 'bare', vms: [vm('a', { pins: { 0: 'led' } })] }, '$.vms[0].pins', /board 'bare' has no GPIO/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 0: 'led' }, devices: ['clint', 'plic', 'uart0', 'test-finisher'] })] }, '$.vms[0].pins', /VM 'a' has no GPIO/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { devices: ['clint', 'uart0', 'test-finisher'] })] }, '$.vms[0].devices', /must list "plic"/);
  });

  it('bad guest lines', () => {
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 32: 'led' } })] }, '$.vms[0].pins.32', /guest GPIO line 0-31/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { '07': 'led' } })] }, '$.vms[0].pins.07', /guest GPIO line/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 'a b': 'led' } })] }, '$.vms[0].pins["a b"]', /guest GPIO line/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { pins: { 1: 7 } })] }, '$.vms[0].pins.1', /must name a board pin.*not 7/);
  });

  it('bad types, each at its path', () => {
    const list = problems({ board: 'host-sim', deterministic: 'yes', slice: 0, vms: [
      { name: 'a', image: 3, ram: '12 parsecs', firmware: 'bios', onFault: 'explode', uart: 5, pins: [], devices: 'all', colour: 'red' },
    ] });
    const paths = list.map((l) => l.slice(0, l.indexOf(': ')));
    assert.deepEqual(paths, ['$.deterministic', '$.slice', '$.vms[0].colour', '$.vms[0].image', '$.vms[0].ram', '$.vms[0].firmware',
      '$.vms[0].onFault', '$.vms[0].devices', '$.vms[0].uart', '$.vms[0].pins']);
    assert.match(list[4], /unknown unit 'parsecs'/);
  });

  it('the document, the board and the VM list', () => {
    oneProblem([], '$', /must be an object/);
    oneProblem({ vms: [vm('a')] }, '$.board', /must be a board name/);
    oneProblem({ board: 'esp99', vms: [vm('a')] }, '$.board', /board "esp99" cannot be used: boards\/esp99\.json: no such board file/);
    oneProblem({ board: 'host-sim' }, '$.vms', /is missing/);
    oneProblem({ board: 'host-sim', vms: [] }, '$.vms', /1-9 VMs/);
    oneProblem({ board: 'host-sim', vms: Array.from({ length: 10 }, (_, i) => vm(`v${i}`)) }, '$.vms', /1-9 VMs, not 10/);
    oneProblem({ board: 'host-sim', vms: [vm('a'), 'b'] }, '$.vms[1]', /must be an object/);
    oneProblem({ board: 'host-sim', vms: [vm('a'), vm('a')] }, '$.vms[1].name', /"a" is already the name of the VM at \$\.vms\[0\]/);
    oneProblem({ board: 'host-sim', vms: [vm('1st')] }, '$.vms[0].name', /starting with a letter/);
    oneProblem({ board: 'host-sim', vms: [vm('a', { uart: 'tcp:0' })] }, '$.vms[0].uart', /tcp:PORT or tcp:PORT,nowait with PORT 1-65535/);
  });

  it('host serials are refused on a board platform', () => {
    const esp = validateBoard({
      name: 'esp', platform: 'esp32', ramBudget: '96KiB', devices: ['clint', 'plic', 'uart0', 'test-finisher'],
      uart0: { uart: 2, tx: 17, rx: 16 },
    }, 'boards/esp.json');
    const e = assert.throws<MonitorConfigError>(() => validateMonitorConfig({ board: 'esp', vms: [vm('a', { uart: 'stdio', ram: '32KiB' })] }, 'c.json', () => esp), MonitorConfigError);
    assert.equal(e.path, '$.vms[0].uart');
    assert.match(e.problem, /host serial; board 'esp' is for esp32/);
  });

  it('collects every problem in one error, in document order', () => {
    const list = problems({ board: 'host-sim', vms: [vm('a', { uart: 'uart0', pins: { 0: 'led' } }), vm('b', { uart: 'uart0', pins: { 1: 'led' } })] });
    assert.equal(list.length, 2);
    assert.match(list[0], /^\$\.vms\[1\]\.uart: /);
    assert.match(list[1], /^\$\.vms\[1\]\.pins\.1: /);
  });
});
