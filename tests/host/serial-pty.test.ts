/**
 * The pty serial backend: a program opening the slave path with node:fs
 * exchanges raw bytes with the guest both ways (no echo, no CR/NL
 * mangling), output while nobody holds the slave is discarded, and close()
 * removes the pty. Needs python3 (present in CI); skipped without it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { PtySerial, SerialBackendError, startSerialBackend } from '../../host/serial/index.js';
import { FakeUart, waitFor } from './serial-helpers.js';

const hasPython = spawnSync('python3', ['-c', 'import pty, termios'], { stdio: 'ignore' }).status === 0;
const skip = hasPython ? false : 'python3 (with the pty and termios modules) is not installed';

/** The slave end, opened as a terminal program would, non-blocking so every wait is bounded. */
class Slave {
  readonly fd: number;
  readonly got: number[] = [];

  constructor(path: string) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  }

  write(bytes: Uint8Array | string): void {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off);
  }

  /** Reads what is there now (EAGAIN means nothing). */
  poll(): void {
    const buf = Buffer.alloc(4096);
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return;
        throw e;
      }
      if (n <= 0) return;
      for (let i = 0; i < n; i++) this.got.push(buf[i]);
    }
  }

  /** Reads until `n` bytes have come (bounded). */
  async expect(n: number, ms = 3000): Promise<number[]> {
    await waitFor(() => {
      this.poll();
      return this.got.length >= n;
    }, `${n} bytes at the slave (have ${this.got.length})`, ms);
    return this.got.splice(0, this.got.length);
  }

  close(): void {
    closeSync(this.fd);
  }
}

describe('PtySerial', { skip }, () => {
  it('gives a /dev/pts path and passes raw bytes both ways, with no echo', async () => {
    const pty = new PtySerial();
    const uart = new FakeUart(pty.factory);
    try {
      const { path } = await pty.start();
      assert.match(path, /^\/dev\/pts\/[0-9]+$/);
      assert.equal(pty.endpoint, `pty:${path}`);
      const slave = new Slave(path);
      await waitFor(() => pty.connected, 'the relay to notice the open');
      await waitFor(() => uart.budget > 0, 'the budget');

      // Guest to terminal: control characters, CR/LF and high bytes arrive exactly (no OPOST, no ICRNL).
      const out = [0x61, 0x0d, 0x0a, 0x62, 0x03, 0x04, 0x1a, 0x7f, 0x00, 0xff, 0x11, 0x13];
      await uart.sendAll(new Uint8Array(out));
      assert.deepEqual(await slave.expect(out.length), out);

      // Terminal to guest: no line buffering (no ICANON), no signals from ^C/^Z, no CR->NL.
      const back = [0x78, 0x0a, 0x79, 0x0d, 0x03, 0x1a, 0x1c, 0x04, 0x7f, 0xff, 0x00];
      slave.write(new Uint8Array(back));
      await waitFor(() => uart.received.length >= back.length, 'terminal bytes at the guest');
      assert.deepEqual(uart.received, back);

      // No echo: nothing the terminal wrote comes back to it. An echo would come before a marker the guest sends now.
      await uart.sendAll('M');
      assert.deepEqual(await slave.expect(1), [0x4d]);

      // A larger transfer both ways, in order.
      const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
      const sending = uart.sendAll(big, 10_000);
      let got: number[] = [];
      try {
        await waitFor(() => {
          slave.poll();
          return slave.got.length >= big.length;
        }, 'the large transfer', 10_000);
        got = slave.got.splice(0);
      } finally {
        await sending;
      }
      assert.equal(got.length, big.length);
      for (let i = 0; i < big.length; i += 1009) assert.equal(got[i], big[i], `byte ${i}`);
      slave.close();
      await waitFor(() => !pty.connected, 'the relay to notice the close');
    } finally {
      await pty.close();
    }
  });

  it('discards output while nobody has the slave open, and the next reader sees none of it', async () => {
    const events: string[] = [];
    const pty = new PtySerial({ onConnect: () => events.push('connect'), onDisconnect: () => events.push('disconnect') });
    const uart = new FakeUart(pty.factory);
    try {
      const { path } = await pty.start();
      await waitFor(() => uart.budget > 0, 'the budget');
      await uart.sendAll('nobody hears this');
      await waitFor(() => pty.stats.discarded === 17, 'the discard count');
      const slave = new Slave(path);
      await waitFor(() => pty.connected, 'the open');
      await uart.sendAll('hello');
      assert.equal(String.fromCharCode(...(await slave.expect(5))), 'hello');
      slave.close();
      await waitFor(() => !pty.connected, 'the close');
      await uart.sendAll('after');
      await waitFor(() => pty.stats.discarded === 22, 'the second discard count');
      const again = new Slave(path);
      await waitFor(() => pty.connected, 'the second open');
      // Stale output would reach the new reader before a marker sent now.
      await uart.sendAll('M');
      assert.deepEqual(await again.expect(1), [0x4d], 'no stale output');
      again.close();
      await waitFor(() => !pty.connected, 'the second close');
      assert.deepEqual(events, ['connect', 'disconnect', 'connect', 'disconnect']);
    } finally {
      await pty.close();
    }
  });

  it('close() ends the relay and removes the pty; a missing interpreter is a typed error', async () => {
    const pty = new PtySerial();
    const { path } = await pty.start();
    assert.ok(existsSync(path));
    await pty.close();
    await waitFor(() => !existsSync(path), 'the pty to go away');
    await pty.close();
    await assert.rejects(pty.start(), (e: unknown) => e instanceof SerialBackendError && e.reason === 'closed');

    const missing = new PtySerial({ python: '/nonexistent/python3' });
    await assert.rejects(missing.start(), (e: unknown) => e instanceof SerialBackendError && e.reason === 'no-python' && e.backend === 'pty' &&
      /needs Python 3.*cannot run \/nonexistent\/python3 \(not found\).*apt-get install python3/.test(e.message));
    await missing.close();
  });

  it('close() hands a reader the guest\'s last bytes before the pty goes away', async () => {
    const pty = new PtySerial();
    const uart = new FakeUart(pty.factory);
    const { path } = await pty.start();
    const slave = new Slave(path);
    try {
      await waitFor(() => pty.connected && uart.budget > 0, 'the open and the budget');
      uart.send('last words\n');
      const closing = pty.close(); // at once, in the same turn as the writes
      await waitFor(() => {
        try {
          slave.poll();
        } catch {
          // EIO once the master is gone: what was read stays read.
        }
        return slave.got.length >= 11;
      }, 'the last bytes');
      assert.equal(String.fromCharCode(...slave.got), 'last words\n');
      await closing;
    } finally {
      slave.close();
      await pty.close();
    }
  });

  it('startSerialBackend prints QEMU\'s line for a pty', async () => {
    const backend = await startSerialBackend({ kind: 'pty' });
    try {
      assert.match(backend.banner, /^char device redirected to \/dev\/pts\/[0-9]+ \(label uart0\)$/);
    } finally {
      await backend.close();
    }
  });
});
