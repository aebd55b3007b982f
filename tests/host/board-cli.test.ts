/**
 * board:build and board:sim without an SDK (what a newcomer meets first),
 * and the UF2 reader the emulated Pico loads firmware with. The builds and
 * the emulator themselves are proven in tests/board (npm run test:board).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../host/board/sdk.js';
import { forEachUf2Block, Uf2Error } from '../../host/board/rp2040.js';

function board(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'MODDABLE' && k !== 'XSVISOR_VENDOR' && v !== undefined) env[k] = v;
  const r = spawnSync(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', join(ROOT, 'host', 'board', 'cli.ts'), ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One UF2 block (github.com/microsoft/uf2): 32-byte header, payload, end magic. */
function block(addr: number, payload: number[]): Uint8Array {
  const b = new Uint8Array(512);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x0a324655, true);
  v.setUint32(4, 0x9e5d5157, true);
  v.setUint32(12, addr, true);
  v.setUint32(16, payload.length, true);
  b.set(payload, 32);
  v.setUint32(508, 0x0ab16f30, true);
  return b;
}

describe('board:build and board:sim without an SDK', () => {
  it('board:build explains how to set an SDK up, and exits 69', () => {
    const r = board(['build', '--board', 'pico']);
    assert.equal(r.status, 69, r.stderr);
    assert.match(r.stderr, /no Moddable SDK: set \$MODDABLE .* or \$XSVISOR_VENDOR/);
    assert.match(r.stderr, /XSVISOR_VENDOR=\/path\/to\/vendor npm run board:build -- --board pico/);
  });

  it('refuses a host board, an unknown board and a missing --board, before looking for an SDK', () => {
    const host = board(['build', '--board', 'host-sim']);
    assert.equal(host.status, 64);
    assert.match(host.stderr, /host board: run it with 'xsvisor run --board host-sim IMAGE'/);
    const sim = board(['build', '--board', 'moddable-sim']);
    assert.equal(sim.status, 64);
    assert.match(sim.stderr, /npm run flash -- --board moddable-sim/);
    assert.equal(board(['build', '--board', 'nope']).status, 64);
    const none = board(['build']);
    assert.equal(none.status, 64);
    assert.match(none.stderr, /which board\?/);
  });

  it('board:build --config refuses, before looking for an SDK, a pin given to two VMs and RAM beyond the budget, naming VM and bytes (65)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsvisor-board-cli-'));
    try {
      const demo = join(ROOT, 'guests', 'bin', 'demo.elf');
      const write = (name: string, vms: unknown[]): string => {
        writeFileSync(join(dir, name), JSON.stringify({ board: 'pico', vms }));
        return join(dir, name);
      };
      const pins = board(['build', '--config', write('pins.json', [
        { name: 'a', image: demo, ram: '32KiB', pins: { 0: 'led' } },
        { name: 'b', image: demo, ram: '32KiB', pins: { 2: 'led' } },
      ])]);
      assert.equal(pins.status, 65, pins.stderr);
      assert.match(pins.stderr, /\$\.vms\[1\]\.pins\.2: pin "led" is already given to VM 'a' at \$\.vms\[0\]\.pins\.0; a pin goes to one guest line of one VM/);
      const ram = board(['build', '--config', write('ram.json', [{ name: 'a', image: demo, ram: '100KiB' }, { name: 'b', image: demo, ram: '32KiB' }])]);
      assert.equal(ram.status, 65, ram.stderr);
      assert.match(ram.stderr, /\$\.vms\[1\]\.ram: 32 KiB for VM 'b' brings the VMs' RAM to 132 KiB, more than the ramBudget of board 'pico' \(112 KiB\)/);
      const tiny = board(['build', '--config', write('tiny.json', [{ name: 'tiny', image: demo, ram: '8KiB' }])]);
      assert.equal(tiny.status, 65, tiny.stderr);
      assert.match(tiny.stderr, /\$\.vms\[0\]\.ram: VM 'tiny' \(.*demo\.elf\) needs 32768 bytes \(32 KiB\) of guest RAM; it is given 8192 bytes/);
      const both = board(['build', '--config', join(dir, 'tiny.json'), '--guest', demo]);
      assert.equal(both.status, 64);
      assert.match(both.stderr, /--guest and --config do not go together/);
      // A good configuration passes the checks and gets as far as the SDK.
      assert.equal(board(['build', '--config', join(ROOT, 'boards', 'vms', 'pico-two.json')]).status, 69);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('board:sim refuses a board without an emulator', () => {
    const r = board(['sim', '--board', 'esp32-devkitc']);
    assert.equal(r.status, 64);
    assert.match(r.stderr, /only rp2040 boards have an emulator here/);
  });
});

describe('the UF2 reader', () => {
  it('puts each flash block at its offset, and passes over blocks outside the flash', () => {
    const uf2 = new Uint8Array([...block(0x1000_0000, [1, 2, 3]), ...block(0x10ff_ff00, [9]), ...block(0x2000_0000, [7]), ...block(0x1000_0100, [4])]);
    const seen: [number, number[]][] = [];
    const n = forEachUf2Block(uf2, (off, bytes) => seen.push([off, [...bytes]]));
    assert.equal(n, 3);
    assert.deepEqual(seen, [[0, [1, 2, 3]], [0xff_ff00, [9]], [0x100, [4]]]);
  });

  it('refuses a file that is not whole blocks, a bad magic, and one with nothing for the flash', () => {
    assert.throws(() => forEachUf2Block(new Uint8Array(100), () => {}), Uf2Error);
    const bad = block(0x1000_0000, [1]);
    bad[508] = 0;
    assert.throws(() => forEachUf2Block(bad, () => {}), /UF2 at byte 0: bad magic/);
    assert.throws(() => forEachUf2Block(block(0x2000_0000, [1]), () => {}), /no block for the RP2040 flash/);
  });
});
