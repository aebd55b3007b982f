/**
 * QEMU-style Ctrl-A escapes on the input of a stream serial backend (a pty
 * or TCP UART0 given as `--serial mon:pty` / `mon:tcp:PORT`, after QEMU's
 * `-serial mon:...`).
 *
 * Owns the escape state across chunks: Ctrl-A followed by Ctrl-A passes one
 * Ctrl-A to the guest; Ctrl-A followed by any other byte is taken out of the
 * stream and handed to the owner (the CLI: `x` quits, `r` restarts the
 * guest). Without `mon:` no filter exists and bytes pass unchanged, so a
 * binary transfer or a `screen` session (whose own escape is Ctrl-A) is not
 * disturbed.
 */

/** The byte Ctrl-A sends: the escape key, as in QEMU's mux and the terminal backend. */
export const SERIAL_ESCAPE_BYTE = 0x01;

/** Options of an {@link EscapeFilter}. */
export interface EscapeFilterOptions {
  /** Called with the byte typed after Ctrl-A (not Ctrl-A itself), from the stream event that carried it. */
  onEscape(key: number): void;
}

/** Removes Ctrl-A sequences from received chunks and reports their keys. One per port; it keeps state between chunks. */
export class EscapeFilter {
  private readonly onEscape: (key: number) => void;
  private escaped = false;

  constructor(options: EscapeFilterOptions) {
    this.onEscape = options.onEscape;
  }

  /**
   * Takes a received chunk; returns the bytes meant for the guest (the same
   * array when it holds no Ctrl-A and none is pending). Calls `onEscape`
   * for each escape key, in order, before returning.
   */
  filter(chunk: Uint8Array): Uint8Array {
    if (!this.escaped && chunk.indexOf(SERIAL_ESCAPE_BYTE) < 0) return chunk;
    const out = new Uint8Array(chunk.length);
    let n = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.escaped) {
        this.escaped = false;
        if (b === SERIAL_ESCAPE_BYTE) out[n++] = b;
        else this.onEscape(b);
      } else if (b === SERIAL_ESCAPE_BYTE) this.escaped = true;
      else out[n++] = b;
    }
    return out.subarray(0, n);
  }
}
