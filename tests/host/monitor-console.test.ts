/**
 * The terminal's Ctrl-A keys for the monitor's shared console: Ctrl-A 1-9
 * reach the owner's `onEscape` (which moves the console focus), Ctrl-A h
 * lists them with the port's own keys, Ctrl-A x still quits, and a key
 * the owner does not take is dropped as before.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SharedConsole } from '../../src/monitor/index.js';
import type { SerialPortCallbacks } from '../../src/ports/index.js';
import { TerminalSerial, type TerminalInput, type TerminalOutput } from '../../host/node/terminal-serial.js';

class FakeTty extends EventEmitter implements TerminalInput {
  readonly isTTY = true;
  raw = false;
  setRawMode(mode: boolean): void {
    this.raw = mode;
  }
  resume(): void {}
  pause(): void {}
}

class Sink extends EventEmitter implements TerminalOutput {
  text = '';
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean {
    this.text += Buffer.from(chunk).toString('latin1');
    cb?.();
    return true;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('terminal escape keys with a shared console', () => {
  it('Ctrl-A 2 focuses the second VM; Ctrl-A h lists the keys; other keys are dropped; Ctrl-A x quits', async () => {
    const input = new FakeTty();
    const output = new Sink();
    let quit = 0;
    let shared: SharedConsole | null = null;
    const keys: number[] = [];
    const term = new TerminalSerial({
      input, output,
      onQuit: () => quit++,
      onEscape: (key) => {
        keys.push(key);
        return key >= 0x31 && key <= 0x39 && shared!.focus(key - 0x31);
      },
      escapeHelp: "C-a 1    send input to VM 'a'\nC-a 2    send input to VM 'b'\n",
    });
    shared = new SharedConsole({ serial: term.factory, names: ['a', 'b'] });
    const got: string[][] = [[], []];
    const ports = [0, 1].map((i) => shared!.factory(i)({
      onReadable: () => {
        for (let b = ports[i]?.read(); b !== undefined; b = ports[i]?.read()) got[i].push(String.fromCharCode(b));
      },
    } satisfies SerialPortCallbacks));
    assert.equal(input.raw, true);
    input.emit('data', Buffer.from('x'));
    for (let b = ports[0].read(); b !== undefined; b = ports[0].read()) got[0].push(String.fromCharCode(b));
    input.emit('data', Buffer.from('\x012y\x01zw\x01h'));
    for (let b = ports[1].read(); b !== undefined; b = ports[1].read()) got[1].push(String.fromCharCode(b));
    await tick();
    await term.flush();
    assert.deepEqual(got, [['x'], ['y', 'w']]);
    assert.equal(shared.focused, 1);
    assert.deepEqual(keys, [0x32, 0x7a], 'the owner sees 2 and z (h and x are the port\'s own)');
    assert.match(output.text, /C-a x {4}exit xsvisor/);
    assert.match(output.text, /C-a 2 {4}send input to VM 'b'/);
    input.emit('data', Buffer.from('\x01x'));
    assert.equal(quit, 1);
    shared.close();
    term.close();
    assert.equal(input.raw, false);
  });
});
