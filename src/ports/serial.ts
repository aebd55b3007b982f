/**
 * The serial port the core reaches the outside through: a byte stream,
 * shaped after ECMA-419's Serial class (section 9, `embedded:io/serial`).
 *
 * One options object carries the callbacks; `read()` returns one byte
 * (0..255) or `undefined`, `write(byte)` sends one (format `"number"`,
 * which allocates nothing on XS); `onReadable(count)`/`onWritable(count)`
 * come from the event loop, never from inside `read()` or `write()`.
 * Devices take a {@link SerialPortFactory}, since an ECMA-419 object gets its
 * callbacks at construction; the Moddable glue is one line:
 * `(cb) => new device.io.Serial({ ...device.Serial.default, format: "number", ...cb })`.
 */

/** The callbacks a serial port delivers (ECMA-419 Serial `onReadable`, `onWritable`, `onError`). */
export interface SerialPortCallbacks {
  /**
   * Bytes are waiting to be read. `count` is the number now waiting (as
   * ECMA-419's `onReadable(bytes)`); the callee may read fewer, and is
   * called again when more arrive.
   */
  onReadable?(count: number): void;
  /**
   * Room for output is available. `count` is the number of bytes that may
   * now be written without loss: the whole current budget, not an increment
   * (as ECMA-419's `onWritable(bytes)`). A port reports its initial room
   * this way once it is open (Moddable's Serial does; so does MemorySerial);
   * until then a device writes nothing.
   */
  onWritable?(count: number): void;
  /** The port failed (ECMA-419 `onError`); it may be unusable afterwards. */
  onError?(error: Error): void;
}

/** One open serial port. */
export interface SerialPort {
  /** Takes the next received byte: a number in 0..255, or `undefined` when none is waiting. */
  read(): number | undefined;
  /**
   * Sends one byte (0..255; higher bits are ignored). Callers keep within the
   * budget last reported by `onWritable`, less what they have written since;
   * a port may drop or refuse (throw) a byte written past it.
   */
  write(byte: number): void;
  /** Releases the port. No callback is delivered after `close()` returns; closing twice is harmless. */
  close(): void;
}

/**
 * Opens a serial port with the given callbacks. A device calls it once, in
 * its constructor. It may throw when the port cannot be opened.
 */
export type SerialPortFactory = (callbacks: SerialPortCallbacks) => SerialPort;
