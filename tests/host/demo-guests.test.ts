/**
 * The interrupt-driven guests (guests/bin/echo.elf and demo.elf) in a
 * VirtVm on the host-sim board, with an in-memory serial line and the
 * board's simulated pins: UART receive -> PLIC source 10 -> the hart's
 * machine external interrupt -> the guest's handler (bytes echoed, the
 * last trap an external interrupt, the guest asleep in WFI between
 * bytes); the button's edges -> PLIC source 65 -> the LED following it;
 * the demo's commands driving the LED and its report of a press.
 *
 * In tests/host because the images are read from disk.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBoard } from '../../src/board/index.js';
import { Csr, Mip } from '../../src/cpu/index.js';
import { VirtVm, type VmExit } from '../../src/monitor/index.js';
import { ManualClock, MemorySerial } from '../../src/ports/sim/index.js';
import { SimulatedBoardPins } from '../../host/view/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const echoElf = join(root, 'guests', 'bin', 'echo.elf');
const demoElf = join(root, 'guests', 'bin', 'demo.elf');
const MACHINE_EXTERNAL = 0x8000_000b;

function boot(image: string) {
  const board = parseBoard(readFileSync(join(root, 'boards', 'host-sim.json'), 'utf8'), 'boards/host-sim.json');
  const pins = new SimulatedBoardPins({ lines: board.gpioLines });
  const serial = new MemorySerial();
  const clock = new ManualClock();
  const vm = new VirtVm({ image: new Uint8Array(readFileSync(image)), imageName: image, ramSize: 8 * 1024 * 1024, board, clock, serial: serial.open, pins: pins.wire });
  return { vm, pins, serial, clock };
}

/** Runs until the guest sleeps in WFI with nothing to wake it (returns null) or ends (returns the exit). */
function settle(vm: VirtVm): VmExit | null {
  for (let i = 0; i < 2000; i++) {
    const exit = vm.run(20_000);
    if (exit.kind === 'idle') return null;
    if (exit.kind !== 'budget') return exit;
  }
  throw new Error('the guest neither slept nor ended within 40M instructions');
}

describe('echo.elf: interrupt-driven UART and GPIO', { skip: !existsSync(echoElf) && 'guests/bin/echo.elf not built' }, () => {
  it('echoes bytes it receives through the PLIC and its trap handler, sleeping in WFI between them', () => {
    const { vm, serial } = boot(echoElf);
    assert.equal(settle(vm), null, 'the guest set up and went to sleep');
    assert.ok(vm.isIdle);
    assert.equal(vm.hart.readCsr(Csr.mie) & Mip.MEIP, Mip.MEIP, 'mie.MEIE');
    assert.equal(serial.takeText(), '', 'the guest prints nothing of its own');

    for (const text of ['hello', ' world\r\n', '\x00\x01\xff']) {
      serial.inject(text);
      assert.ok(vm.uart.interruptPending, 'the byte raised the UART interrupt');
      assert.equal(settle(vm), null);
      assert.equal(serial.takeText(), text);
      assert.equal(vm.hart.readCsr(Csr.mcause) >>> 0, MACHINE_EXTERNAL, 'the last trap was the external interrupt');
      assert.equal(vm.uart.interruptPending, false, 'the handler drained the FIFO');
      assert.equal(vm.plic.isPending(10), false);
    }

    serial.inject('bye q');
    assert.deepEqual(settle(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(serial.takeText(), 'bye q');
    vm.close();
  });

  it('mirrors the button (GPIO line 1) onto the LED (line 0) from the GPIO interrupt, both edges', () => {
    const { vm, pins } = boot(echoElf);
    assert.equal(settle(vm), null);
    // At rest the pull-up holds the button line high, and the LED mirrors it.
    assert.equal(pins.level('button'), 1);
    assert.equal(pins.level('led'), 1);
    for (let i = 0; i < 3; i++) {
      pins.press('button');
      assert.equal(settle(vm), null);
      assert.equal(pins.level('led'), 0, `press ${i}: the LED follows the line low`);
      assert.equal(vm.hart.readCsr(Csr.mcause) >>> 0, MACHINE_EXTERNAL);
      pins.release('button');
      assert.equal(settle(vm), null);
      assert.equal(pins.level('led'), 1, `release ${i}: and back high`);
      assert.ok(pins.isLit('led'));
    }
    assert.equal(vm.plic.isPending(65), false);
    vm.close();
  });
});

describe('demo.elf: the interactive demo', { skip: !existsSync(demoElf) && 'guests/bin/demo.elf not built' }, () => {
  it('shows a banner and a prompt, drives the LED, reports presses, answers help, uptime and button, and powers off with 0', () => {
    const { vm, pins, serial, clock } = boot(demoElf);
    assert.equal(settle(vm), null);
    const banner = serial.takeText();
    assert.match(banner, /^xsvisor demo: /);
    assert.match(banner, /The LED is GPIO line 0, the button GPIO line 1/);
    assert.match(banner, /demo> $/);

    const type = (text: string): string => {
      serial.inject(text);
      assert.equal(settle(vm), null, `after ${JSON.stringify(text)} the guest sleeps again`);
      return serial.takeText();
    };

    assert.match(type('help\r'), /^help\ncommands:\n(.*\n)*  led on\|off\|toggle .*\n(.*\n)*  poweroff .*\ndemo> $/);
    assert.equal(pins.isLit('led'), false);
    assert.equal(type('led on\r'), 'led on\nled on\ndemo> ');
    assert.ok(pins.isLit('led'));
    assert.equal(type('led toggle\n'), 'led toggle\nled off\ndemo> ', 'LF ends a line too');
    assert.equal(pins.isLit('led'), false);
    assert.equal(type('led toggle\r\n'), 'led toggle\nled on\ndemo> ', 'CR LF is one line end');
    assert.ok(pins.isLit('led'));
    assert.equal(type('lef\x7fd off\r'), 'lef\b \bd off\nled off\ndemo> ', 'backspace (DEL) edits the line');
    assert.equal(type('nope\r'), 'nope\nnope: unknown command (try help)\ndemo> ');

    // A press while a command is half typed: reported at once, the typed text given back.
    assert.equal(type('but'), 'but');
    pins.press('button');
    assert.equal(settle(vm), null);
    assert.equal(serial.takeText(), '\nbutton pressed (1)\ndemo> but');
    assert.equal(type('ton\r'), 'ton\nbutton pressed (line reads 0), pressed 1 times\ndemo> ');
    pins.release('button');
    assert.equal(settle(vm), null);
    assert.equal(serial.takeText(), '', 'a release is not a press');
    assert.equal(type('button\r'), 'button\nbutton released (line reads 1), pressed 1 times\ndemo> ');

    clock.advance(2_500_000);
    assert.match(type('uptime\r'), /^uptime\nup 2\.5\d\d s\ndemo> $/);

    serial.inject('poweroff\r');
    assert.deepEqual(settle(vm), { kind: 'exit', status: 0, source: 'finisher' });
    assert.equal(serial.takeText(), 'poweroff\npowering off\n');
    vm.close();
  });
});
