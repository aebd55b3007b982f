/**
 * The backends under a real VM, wired as the CLI wires them: the hello
 * guest (guests/bin/hello.elf) prints through UART0 to a TCP client and
 * to a program holding the pty, with the board view's console mirror
 * teed in and the board's lines on simulated pins.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBoard } from '../../src/board/index.js';
import { VirtVm, runVm } from '../../src/monitor/index.js';
import type { SerialPortFactory } from '../../src/ports/serial.js';
import { createNodeClock } from '../../host/node/clock.js';
import { createNodeScheduler } from '../../host/node/scheduler.js';
import { PtySerial, TcpSerial } from '../../host/serial/index.js';
import { ConsoleMirror, SimulatedBoardPins } from '../../host/view/index.js';
import { waitFor } from './serial-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const helloPath = join(root, 'guests/bin/hello.elf');
const skipHello = existsSync(helloPath) ? false : 'guests/bin/hello.elf is not built';
const hasPython = spawnSync('python3', ['-c', 'import pty, termios'], { stdio: 'ignore' }).status === 0;

/** Runs hello.elf with UART0 on `serial` (teed into a mirror) and the host-sim board's pins; resolves with the exit and the mirror. */
async function runHello(serial: SerialPortFactory) {
  const board = parseBoard(readFileSync(join(root, 'boards/host-sim.json'), 'utf8'), 'boards/host-sim.json');
  const pins = new SimulatedBoardPins({ lines: board.gpioLines });
  const mirror = new ConsoleMirror();
  const vm = new VirtVm({
    image: new Uint8Array(readFileSync(helloPath)),
    imageName: 'hello.elf',
    ramSize: 16 * 1024 * 1024,
    board,
    clock: createNodeClock(),
    serial: mirror.tee(serial),
    pins: pins.wire,
  });
  try {
    const exit = await runVm({ vm, scheduler: createNodeScheduler(), maxInstructions: 50_000_000 });
    return { exit, mirror };
  } finally {
    vm.close();
  }
}

describe('serial backends under the VM', { skip: skipHello }, () => {
  it('hello.elf prints to a TCP client (and the view mirror) with UART0 on tcp', async () => {
    const tcp = new TcpSerial({ port: 0 });
    await tcp.start();
    const got: Buffer[] = [];
    const client = connect({ host: '127.0.0.1', port: tcp.port });
    client.on('data', (c: Buffer) => got.push(c));
    try {
      await waitFor(() => tcp.connected, 'the client');
      const { exit, mirror } = await runHello(tcp.factory);
      assert.equal(exit.kind, 'exit');
      await waitFor(() => Buffer.concat(got).includes('bye\n'), 'the whole greeting at the client');
      const text = Buffer.concat(got).toString('latin1');
      assert.match(text, /Hello from xsvisor guest!\n/);
      assert.match(text, /fib\(20\) = 6765\n/);
      assert.equal(Buffer.from(mirror.since(0, 1 << 20).bytes).toString('latin1'), text, 'the mirror saw exactly what the client got');
    } finally {
      client.destroy();
      await tcp.close();
    }
  });

  it('hello.elf prints to the program holding the pty with UART0 on pty', { skip: hasPython ? false : 'python3 is not installed' }, async () => {
    const pty = new PtySerial();
    const { path } = await pty.start();
    const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    const got: number[] = [];
    const poll = (): void => {
      const buf = Buffer.alloc(4096);
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch {
          return; // EAGAIN: nothing more now
        }
        if (n <= 0) return;
        for (let i = 0; i < n; i++) got.push(buf[i]);
      }
    };
    try {
      await waitFor(() => pty.connected, 'the relay to notice the open');
      const { exit } = await runHello(pty.factory);
      assert.equal(exit.kind, 'exit');
      await waitFor(() => {
        poll();
        return Buffer.from(got).includes('bye\n');
      }, 'the whole greeting at the pty');
      // Raw: the guest's bare LF arrives as LF, not CR LF.
      assert.match(Buffer.from(got).toString('latin1'), /^Hello from xsvisor guest!\nhart 0\n/);
    } finally {
      closeSync(fd);
      await pty.close();
    }
  });
});
