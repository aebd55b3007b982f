/**
 * scripts/flash.mjs, run as `npm run flash` runs it (a child `node`):
 * the explanation a user without the Moddable SDK gets, the mcconfig
 * command line it would run for each board (--dry-run), the dry run's
 * warning for a guest too big for the board, and its refusals.
 * The fit check uses dist/ (`npm run build` first, as `npm test` does).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSize, parseBoard } from '../../src/board/index.js';
import { minimumRam, planGuestImage } from '../../src/moddable/image.js';
import { ROOT } from '../../host/moddable/node.js';

const SCRIPT = join(ROOT, 'scripts', 'flash.mjs');
const BOARD = (name: string): string => `XSVISOR_BOARD=${join(ROOT, 'boards', name)}`;

function flash(args: string[], env: Record<string, string | undefined> = {}): { status: number | null; stdout: string; stderr: string } {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'MODDABLE' && v !== undefined) base[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env: base, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run flash', () => {
  it('without $MODDABLE explains how to set the Moddable SDK up, and fails', () => {
    const r = flash(['--board', 'esp32-devkitc']);
    assert.equal(r.status, 69);
    assert.match(r.stderr, /\$MODDABLE is not set/);
    assert.match(r.stderr, /xs-dev setup --device esp32\b/);
    assert.match(r.stderr, /npm run flash -- --board esp32-devkitc/);
    assert.equal(r.stdout, '');
    const pico = flash(['--board', 'pico']);
    assert.equal(pico.status, 69);
    assert.match(pico.stderr, /xs-dev setup --device pico\b/);
  });

  it('--dry-run prints the mcconfig command for esp32-devkitc', () => {
    const r = flash(['--board', 'esp32-devkitc', '--dry-run'], { MODDABLE: '/opt/moddable' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `cd ${ROOT} && ${BOARD('esp32-devkitc')} mcconfig -d -m -p esp32 manifest.json guest=guest.elf\n`);
    assert.equal(r.stderr, '');
  });

  it('--dry-run prints the mcconfig command for pico, with the port and the terminal log', () => {
    const r = flash(['--board=pico', '--port', '/dev/ttyACM0', '--log', '-n'], { MODDABLE: '/opt/moddable' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `cd ${ROOT} && ${BOARD('pico')} UPLOAD_PORT=/dev/ttyACM0 mcconfig -d -m -l -p pico manifest.json guest=guest.elf\n`);
  });

  it('--guest hands the image to the manifest (XSVISOR_GUEST) and names its resource; the demo is not built in too', () => {
    const r = flash(['--board', 'pico', '--guest', 'guests/bin/htif-pass.elf', '--dry-run'], { MODDABLE: '/opt/moddable' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `cd ${ROOT} && ${BOARD('pico')} XSVISOR_GUEST=${join(ROOT, 'guests', 'bin', 'htif-pass')} mcconfig -d -m -p pico manifest.json guest=guest.elf\n`);
  });

  it('--dry-run for the Moddable simulator board: mcconfig -p lin (mcsim and xsbug)', () => {
    const r = flash(['--board', 'moddable-sim', '--dry-run'], { MODDABLE: '/opt/moddable' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `cd ${ROOT} && ${BOARD('moddable-sim')} mcconfig -d -m -p lin manifest.json guest=guest.elf\n`);
  });

  it('--dry-run warns when the guest will not fit the board, by the RAM the app will ask for', () => {
    // hello.elf is linked for QEMU (64 KiB heap and stack): the app's own reckoning says 140 KiB.
    const hello = planGuestImage(new Uint8Array(readFileSync(join(ROOT, 'guests', 'bin', 'hello.elf'))), 'hello.elf');
    const esp = parseBoard(readFileSync(join(ROOT, 'boards', 'esp32-devkitc.json'), 'utf8'), 'esp32-devkitc');
    const need = minimumRam(hello, { ramSize: esp.ramBudget, gpio: esp.has('gpio'), virtio: esp.has('virtio-mmio') });
    assert.ok(need > esp.ramBudget);
    const r = flash(['--board', 'esp32-devkitc', '--guest', 'guests/bin/hello.elf', '--dry-run'], { MODDABLE: '/opt/moddable' });
    assert.equal(r.status, 0, 'a dry run still succeeds');
    assert.equal(r.stderr, `flash: warning: guests/bin/hello.elf needs ${formatSize(need)} of guest RAM (its image up to 0x${hello.highAddr.toString(16)} ` +
      `and the device tree above it); board esp32-devkitc offers ${formatSize(esp.ramBudget)} (ramBudget), so it will not start there\n`);
    // The manifest's demo fits both boards: no warning (the esp32 case above has an empty stderr too).
    assert.doesNotMatch(flash(['--board', 'pico', '--dry-run'], { MODDABLE: '/opt/moddable' }).stderr, /warning/);
  });

  it('--dry-run without $MODDABLE still prints the command, with a note', () => {
    const r = flash(['--board', 'pico', '--dry-run']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /mcconfig -d -m -p pico manifest\.json guest=guest\.elf/);
    assert.match(r.stderr, /MODDABLE is not set/);
  });

  it('refuses a host board, an unknown board, a missing guest and a missing --board', () => {
    const host = flash(['--board', 'host-sim', '--dry-run']);
    assert.equal(host.status, 64);
    assert.match(host.stderr, /host board: run it with 'xsvisor run --board host-sim IMAGE'/);
    const unknown = flash(['--board', 'nope', '--dry-run']);
    assert.equal(unknown.status, 64);
    assert.match(unknown.stderr, /no such board \(boards: esp32-devkitc, host-sim, moddable-sim, pico\)/);
    const guest = flash(['--board', 'pico', '--guest', 'no/such.elf', '--dry-run']);
    assert.equal(guest.status, 64);
    assert.match(guest.stderr, /--guest no\/such\.elf: no such file/);
    const none = flash([]);
    assert.equal(none.status, 64);
    assert.match(none.stderr, /which board\?/);
    assert.match(none.stderr, /usage: npm run flash -- --board NAME/);
  });
});
