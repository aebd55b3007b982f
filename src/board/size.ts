/**
 * Memory sizes as people write them: `134217728`, `0x8000000`, `64M`,
 * `128MiB`, `512K`, `1G`.
 *
 * Owns the one size syntax shared by board files (`ramBudget`) and the CLI
 * (`--ram`). Suffixes are binary, as in QEMU's `-m 64M` (64 MiB): K/KiB,
 * M/MiB, G/GiB, case-insensitive, with an optional B (`64MB` is 64 MiB too,
 * as in QEMU). Only whole byte counts are accepted.
 */

/** A size string that is not a size. */
export class SizeError extends Error {
  readonly text: string;
  constructor(text: string, detail: string) {
    super(`'${text}' is not a size: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'SizeError', writable: true, configurable: true });
    this.text = text;
  }
}

const UNITS: Readonly<Record<string, number>> = Object.freeze({
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
});

/**
 * Takes a size string; returns the number of bytes (a safe integer).
 * Refuses (with a {@link SizeError}) empty text, signs, fractions, unknown
 * suffixes and sizes beyond 2^53.
 */
export function parseSize(text: string): number {
  const t = text.trim();
  if (t === '') throw new SizeError(text, 'it is empty');
  const hex = /^0x([0-9a-f]+)$/i.exec(t);
  if (hex !== null) return checked(text, parseInt(hex[1], 16));
  const dec = /^([0-9]+)\s*([a-z]*)$/i.exec(t);
  if (dec === null) throw new SizeError(text, 'expected digits with an optional unit (e.g. 64M, 128MiB, 0x8000000)');
  const unit = UNITS[dec[2].toLowerCase()];
  if (unit === undefined) throw new SizeError(text, `unknown unit '${dec[2]}' (use K, M, G, KiB, MiB or GiB)`);
  return checked(text, Number(dec[1]) * unit);
}

function checked(text: string, n: number): number {
  if (!Number.isSafeInteger(n)) throw new SizeError(text, 'it is too large');
  return n;
}

/** Formats a byte count compactly for messages: `128 MiB`, `4 KiB`, `1000 bytes`. */
export function formatSize(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  if (n >= 2 ** 10 && n % 2 ** 10 === 0) return `${n / 2 ** 10} KiB`;
  return `${n} bytes`;
}
