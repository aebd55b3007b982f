/**
 * Board files on the host: finds `boards/NAME.json` under the package root
 * (or takes a path), reads it and validates it with the engine-neutral
 * board module.
 *
 * Owns the file side only (where boards live, unreadable files); what a
 * board may say is src/board's.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBoard, type Board } from '../src/board/index.js';

/** A board file that cannot be read (as opposed to one that reads but is invalid: BoardError). */
export class BoardFileError extends Error {
  /** The file as shown to the user, e.g. `boards/x.json`. */
  readonly file: string;
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'BoardFileError';
    this.file = file;
  }
}

/** The names of the boards in `root/boards` (file names without `.json`), sorted. */
export function boardNames(root: string): string[] {
  try {
    return readdirSync(join(root, 'boards'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** Reads a board file's text; `hint` is added to a "no such file" message. */
function readText(path: string, shown: string, hint: () => string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BoardFileError(shown, `no such board file${hint()}`);
    if (code === 'EISDIR') throw new BoardFileError(shown, 'is a directory, not a board file');
    throw new BoardFileError(shown, `cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Takes the package root and a board name; returns the validated board.
 * Refuses a file that cannot be read with a {@link BoardFileError} (listing
 * the boards there are), and an invalid one with the board module's
 * BoardError (file, JSON path, problem).
 */
export function loadBoardFile(root: string, name: string): Board {
  const shown = `boards/${name}.json`;
  const text = readText(join(root, 'boards', `${name}.json`), shown, () => {
    const names = boardNames(root);
    return names.length > 0 ? ` (boards: ${names.join(', ')})` : '';
  });
  return parseBoard(text, shown);
}

/**
 * Takes a path to a board file; returns the validated board, named in
 * messages by the path as given. Refuses what {@link loadBoardFile} refuses.
 */
export function loadBoardPath(path: string): Board {
  return parseBoard(readText(path, path, () => ''), path);
}
