/**
 * Shared pieces of the serial backend tests: a stand-in for the UART that
 * opens a port the way a device does, and bounded waiting.
 */

import type { SerialPort, SerialPortFactory } from '../../src/ports/serial.js';

/** Waits until `cond()` holds, checking every few milliseconds; throws after `ms` with `what` in the message. */
export async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Plays the UART: opens the port with callbacks, keeps the budget the port
 * reports, writes within it, and collects what it reads.
 */
export class FakeUart {
  readonly port: SerialPort;
  /** Bytes the port may take now: the last reported budget less what was written since. */
  budget = 0;
  /** onWritable reports so far. */
  writableReports = 0;
  /** onReadable reports so far. */
  readableReports = 0;
  readonly errors: Error[] = [];
  readonly received: number[] = [];
  /** When true, every onReadable drains the port into `received`. */
  autoRead: boolean;
  /** Resolved at the next onWritable report. */
  private writable: (() => void)[] = [];

  constructor(factory: SerialPortFactory, options: { autoRead?: boolean } = {}) {
    this.autoRead = options.autoRead ?? true;
    this.port = factory({
      onReadable: () => {
        this.readableReports++;
        if (this.autoRead) this.drain();
      },
      onWritable: (count) => {
        this.writableReports++;
        this.budget = count;
        for (const w of this.writable.splice(0)) w();
      },
      onError: (e) => this.errors.push(e),
    });
  }

  /** Reads everything waiting into `received`. */
  drain(): void {
    for (let b = this.port.read(); b !== undefined; b = this.port.read()) this.received.push(b);
  }

  /** Writes as many of `bytes` as the budget allows; returns how many. */
  send(bytes: Uint8Array | string): number {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    let n = 0;
    while (n < data.length && this.budget > 0) {
      this.port.write(data[n++]);
      this.budget--;
    }
    return n;
  }

  /** Writes all of `bytes`, waiting for budget as needed (bounded by `ms`). */
  async sendAll(bytes: Uint8Array | string, ms = 3000): Promise<void> {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    let off = 0;
    let guard: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error(`timed out sending: ${off} of ${data.length} bytes went`)), ms);
    });
    try {
      for (off += this.send(data); off < data.length; off += this.send(data.subarray(off))) {
        // The next budget report, or the hang guard.
        await Promise.race([new Promise<void>((r) => this.writable.push(r)), hung]);
      }
    } finally {
      clearTimeout(guard);
    }
  }

  /** What was received, as Latin-1 text. */
  text(): string {
    return String.fromCharCode(...this.received);
  }
}
