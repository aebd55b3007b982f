/**
 * `--snapshot-load FILE` and `--snapshot-save FILE` on Node: reading a
 * snapshot file into a freshly built VM and writing one at the end of a
 * run (docs/snapshot.md). The format and the VM side are engine-neutral
 * (src/snapshot/, `VirtVm.snapshot()` / `VirtVm.restore()`); this module
 * only moves bytes between them and the file system and turns failures
 * into messages and exit statuses.
 */

import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { SnapshotError } from '../src/snapshot/index.js';
import type { VirtVm } from '../src/monitor/index.js';
import { EXIT } from './exit-status.js';

/**
 * Restores `vm` from the snapshot at `path`. Returns null when it did;
 * otherwise says why through `err` (naming the file) and returns the exit
 * status: 65 for an unreadable file or any {@link SnapshotError} (wrong
 * magic or version, truncated, corrupt, taken from another image, board,
 * RAM size, firmware or clock mode). On failure the VM is closed, so no
 * half-restored VM runs.
 */
export function loadSnapshotFile(vm: VirtVm, path: string, err: (text: string) => void): number | null {
  const bytes = readSnapshotFile(path, err);
  if (typeof bytes === 'number') {
    vm.close();
    return bytes;
  }
  try {
    vm.restore(bytes);
    return null;
  } catch (e) {
    vm.close();
    if (!(e instanceof SnapshotError)) throw e;
    err(`${path}: ${e.message}`);
    return EXIT.BAD_INPUT;
  }
}

/**
 * The bytes of the snapshot file at `path`, unchecked (`--engine xs`
 * hands them to XS, which restores them). When the file cannot be read,
 * says why through `err` (naming the file) and returns 65.
 */
export function readSnapshotFile(path: string, err: (text: string) => void): Uint8Array | number {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err(`${path}: cannot read the snapshot: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(e)}`);
    return EXIT.BAD_INPUT;
  }
}

/** Why a snapshot file cannot be written, in words, from a Node error. */
function writeProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(e);
}

/**
 * Checks, before a run, that {@link saveSnapshotFile} will be able to
 * write `path`: a temporary file can be created beside it and `path` is
 * not a directory. Leaves nothing behind. Returns null when it can; else
 * says why (naming the file) and returns {@link EXIT.CANT_CREATE}, so a
 * long run is not wasted on a snapshot that cannot be saved.
 */
export function checkSnapshotTarget(path: string, err: (text: string) => void): number | null {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // Not there yet: the usual case.
    }
    if (isDir) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    writeFileSync(tmp, new Uint8Array(0));
    unlinkSync(tmp);
    return null;
  } catch (e) {
    err(`--snapshot-save ${path}: cannot write the snapshot there: ${writeProblem(e)} (checked before the run)`);
    return EXIT.CANT_CREATE;
  }
}

/**
 * Saves `vm` to `path` (see {@link writeSnapshotFile}). Returns null when
 * it did, else says why and returns {@link EXIT.CANT_CREATE}.
 */
export function saveSnapshotFile(vm: VirtVm, path: string, producer: string, err: (text: string) => void): number | null {
  return writeSnapshotFile(vm.snapshot({ producer: `xsvisor ${producer}` }), path, err);
}

/**
 * Writes a snapshot's `bytes` to `path` (through a temporary file renamed
 * into place, so a failed write leaves no partial snapshot under that
 * name). Returns null when it did, else says why and returns
 * {@link EXIT.CANT_CREATE}.
 */
export function writeSnapshotFile(bytes: Uint8Array, path: string, err: (text: string) => void): number | null {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
    return null;
  } catch (e) {
    err(`${path}: cannot write the snapshot: ${writeProblem(e)}`);
    return EXIT.CANT_CREATE;
  }
}
