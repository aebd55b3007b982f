/**
 * Error classes under a frozen Error.prototype, as on a board: Moddable's
 * preload freezes the primordials, and assigning `this.name` (inherited,
 * read-only) then throws a TypeError instead of the error. On the Pico,
 * a guest's load from unmapped memory stopped its VM with
 * `set name: not writable` (bench:board, 2026-12-07). A child Node with
 * Error.prototype frozen builds errors on real paths, and the source is
 * scanned so that no error class assigns its name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../host/board/sdk.js';

const SCRIPT = `
const { GuestAddressSpace, AccessFault } = await import('./src/addrspace/index.ts');
const { guestPhysAddr } = await import('./src/addr/index.ts');
const { parseBoard, parseSize, BoardError } = await import('./src/board/index.ts');

Object.freeze(Error.prototype);
const out = [];
const as = new GuestAddressSpace();
out.push(as.read(guestPhysAddr(0x1000), 4), as.lastFault instanceof AccessFault, as.lastFault.name, String(as.lastFault));
try { parseBoard('{', 'x.json'); } catch (e) { out.push(e instanceof BoardError, e.name); }
try { parseSize('12 parsecs'); } catch (e) { out.push(e.name); }
process.stdout.write(JSON.stringify(out));
`;

function srcFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? srcFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('errors under a frozen Error.prototype (a board after preload)', () => {
  it('an access fault, a bad board file and a bad size are reported as themselves', () => {
    const r = spawnSync(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', '--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [value, isFault, name, text, isBoardError, boardName, sizeName] = JSON.parse(r.stdout) as unknown[];
    assert.equal(value, -1);
    assert.equal(isFault, true);
    assert.equal(name, 'AccessFault');
    assert.match(String(text), /^AccessFault: read of 4 byte\(s\) at 0x0*1000: unassigned/);
    assert.equal(isBoardError, true);
    assert.equal(boardName, 'BoardError');
    assert.equal(sizeName, 'SizeError');
  });

  it('no error class in src/ assigns this.name', () => {
    const offenders = srcFiles(join(ROOT, 'src')).filter((f) => /^\s*this\.name = '/m.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
