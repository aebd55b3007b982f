/**
 * A guest UART on a pseudo-terminal: the `--serial pty` backend, QEMU's
 * `-serial pty` ("char device redirected to /dev/pts/N").
 *
 * Owns the relay child process (see pty-relay.ts for why it is Python and
 * how it behaves) and its control channel; the bytes and their buffers are
 * the {@link SerialLink}'s. A terminal program (`screen /dev/pts/N`,
 * `picocom`, `minicom -p`) or a test opening the path with node:fs talks to
 * the guest. The slave is raw: bytes pass unchanged both ways and nothing
 * is echoed. Output while nobody holds the slave open is discarded and
 * counted, as QEMU does.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { SerialPortFactory } from '../../src/ports/serial.js';
import { SerialBackendError, type SerialBackendReason } from './errors.js';
import { SerialLink, type SerialBackendStats } from './link.js';
import { PTY_RELAY_SOURCE } from './pty-relay.js';

/** Longest control line the relay may send; more means it is not our relay talking. */
const MAX_CONTROL_LINE = 4096;
/** Bytes of the relay's stderr kept for error messages. */
const STDERR_TAIL = 2048;
/** How long `close()` waits for the relay to exit after its input ends before killing it (ms). */
const CLOSE_GRACE_MS = 2000;

/** The message for a relay interpreter that cannot be run: what needs it, and what to do. */
function noPython(python: string, why: string): string {
  return `a pty needs Python 3 (Node.js cannot open a pseudo-terminal by itself): cannot run ${python} (${why}); ` +
    'install it (Debian: apt-get install python3) or use --serial tcp:PORT';
}

/** Options of a {@link PtySerial}. */
export interface PtySerialOptions {
  /** The Python 3 interpreter to run the relay with (default `python3`, found on PATH). */
  readonly python?: string;
  /** Bytes received from the terminal kept for the guest; the oldest are dropped beyond it (default 64 KiB). */
  readonly inputCapacity?: number;
  /** Bytes of guest output gathered before the guest waits for the terminal (default 64 KiB). */
  readonly outputCapacity?: number;
  /** A program opened the slave. */
  onConnect?(): void;
  /** The last program holding the slave closed it. */
  onDisconnect?(): void;
  /** The relay failed after `start()` resolved (it exited, or spoke nonsense). The open port's `onError` hears it too. */
  onError?(error: SerialBackendError): void;
  /** Ctrl-A escapes on the terminal's input (`--serial mon:pty`; see escape.ts): the key after Ctrl-A. Absent: raw. */
  onEscape?(key: number): void;
}

/** Where the pseudo-terminal is. */
export interface PtySerialAddress {
  /** The slave's path, e.g. `/dev/pts/3`: what a terminal program opens. */
  readonly path: string;
}

/**
 * The pty serial backend. Make one, `await start()`, print {@link path},
 * hand `factory` to the UART, and `close()` it when the run ends.
 */
export class PtySerial {
  /** Opens the guest's side of the port (the UART calls it once). */
  readonly factory: SerialPortFactory;
  /** Counters (bytes both ways, discards, drops, opens noticed), updated in place. */
  readonly stats: SerialBackendStats;

  private readonly python: string;
  private readonly link: SerialLink;
  private readonly onConnect: (() => void) | undefined;
  private readonly onDisconnect: (() => void) | undefined;
  private readonly onError: ((error: SerialBackendError) => void) | undefined;
  private child: ChildProcess | null = null;
  private slavePath = '';
  private isConnected = false;
  /** Bytes the relay reported discarding, as last told. */
  private relayDiscarded = 0;
  private stderrTail = '';
  private starting: Promise<PtySerialAddress> | null = null;
  private closed = false;
  private exited: Promise<void> = Promise.resolve();

  /** Checks the options (`bad-option` {@link SerialBackendError}); starts nothing yet. */
  constructor(options: PtySerialOptions = {}) {
    this.python = options.python ?? 'python3';
    this.link = new SerialLink({ backend: 'pty', endpoint: 'pty', inputCapacity: options.inputCapacity, outputCapacity: options.outputCapacity, onEscape: options.onEscape });
    this.factory = this.link.factory;
    this.stats = this.link.stats;
    this.onConnect = options.onConnect;
    this.onDisconnect = options.onDisconnect;
    this.onError = options.onError;
  }

  /** The slave's path once started (`/dev/pts/N`), else the empty string. */
  get path(): string {
    return this.slavePath;
  }

  /** The endpoint as a user names it: `pty:/dev/pts/N` (`pty` before start). */
  get endpoint(): string {
    return this.slavePath === '' ? 'pty' : `pty:${this.slavePath}`;
  }

  /** True while a program holds the slave open (noticed within about 50 ms). */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Starts the relay; resolves with the slave's path once the pty exists.
   * Rejects with a {@link SerialBackendError}: `no-python` when the
   * interpreter cannot be run, `relay-failed` when the relay exits first
   * (with its stderr in the message), `closed` after `close()`. Starting
   * twice returns the same promise.
   */
  start(): Promise<PtySerialAddress> {
    if (this.closed) return Promise.reject(this.error('closed', 'the serial backend is closed'));
    if (this.starting === null) this.starting = this.spawnRelay();
    return this.starting;
  }

  /**
   * Hands the relay what the guest wrote last, ends its input (so it
   * passes that on, exits, and the pty goes away), closes the port, and
   * resolves when the relay has exited. Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    await this.link.flush();
    this.link.close();
    const child = this.child;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
      timer.unref();
      this.exited = this.exited.then(() => clearTimeout(timer));
    }
    return this.exited;
  }

  private spawnRelay(): Promise<PtySerialAddress> {
    return new Promise((resolve, reject) => {
      let ready = false;
      let child: ChildProcess;
      try {
        // -I: isolated mode, so PYTHON* variables and user site-packages cannot change the relay.
        child = spawn(this.python, ['-I', '-c', PTY_RELAY_SOURCE], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
      } catch (e) {
        reject(this.error('no-python', noPython(this.python, e instanceof Error ? e.message : String(e)), e));
        return;
      }
      this.child = child;
      this.exited = new Promise((done) => child.once('close', () => done()));
      const stdin = child.stdin as Writable;
      const stdout = child.stdout as Readable;
      const control = child.stdio[3] as Readable;
      stdin.on('error', () => {
        // EPIPE when the relay is gone; its exit is reported below.
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      stdout.on('data', (chunk: Uint8Array) => {
        // Input proves a client holds the slave, and the relay counts it connected from then on; its
        // 'connected' line comes on another pipe, maybe later: attach now, or the guest's reply is discarded.
        if (!this.isConnected) this.control(`connected ${this.relayDiscarded}`);
        this.link.receive(chunk);
      });

      let line = '';
      control.setEncoding('utf8');
      control.on('data', (text: string) => {
        line += text;
        let nl: number;
        while ((nl = line.indexOf('\n')) >= 0) {
          const msg = line.slice(0, nl);
          line = line.slice(nl + 1);
          if (!ready && msg.startsWith('ready ')) {
            ready = true;
            this.slavePath = msg.slice(6);
            resolve({ path: this.slavePath });
          } else this.control(msg);
        }
        if (line.length > MAX_CONTROL_LINE) {
          line = '';
          this.fail(this.error('relay-failed', 'the relay sent an over-long control line'));
          child.kill('SIGKILL');
        }
      });

      child.once('error', (e: NodeJS.ErrnoException) => {
        if (!ready) {
          ready = true;
          const reason: SerialBackendReason = e.code === 'ENOENT' || e.code === 'EACCES' ? 'no-python' : 'relay-failed';
          reject(this.error(reason, reason === 'no-python' ? noPython(this.python, e.code === 'ENOENT' ? 'not found' : e.message) : `cannot run ${this.python} for the pty relay: ${e.message}`, e));
        }
      });
      child.once('exit', (code, signal) => {
        const how = signal !== null ? `signal ${signal}` : `status ${String(code)}`;
        const why = this.stderrTail.trim() === '' ? '' : `: ${this.stderrTail.trim()}`;
        this.link.detach();
        if (this.isConnected) {
          this.isConnected = false;
          if (!this.closed) this.onDisconnect?.();
        }
        if (!ready) {
          ready = true;
          reject(this.error('relay-failed', `the pty relay exited with ${how} before opening a pty${why}`));
        } else if (!this.closed) {
          this.fail(this.error('relay-failed', `the pty relay exited with ${how}${why}`));
        }
      });
    });
  }

  /** Acts on one control line from the relay. */
  private control(msg: string): void {
    const m = /^(connected|disconnected) ([0-9]+)$/.exec(msg);
    if (m === null) {
      this.fail(this.error('relay-failed', `the relay sent an unknown control line ${JSON.stringify(msg.slice(0, 80))}`));
      return;
    }
    const total = Number(m[2]);
    if (total > this.relayDiscarded) {
      this.stats.discarded += total - this.relayDiscarded;
      this.relayDiscarded = total;
    }
    if (this.closed) return;
    if (m[1] === 'connected' && !this.isConnected) {
      this.isConnected = true;
      this.link.attach(this.child!.stdin as Writable);
      this.onConnect?.();
    } else if (m[1] === 'disconnected' && this.isConnected) {
      this.isConnected = false;
      this.link.detach();
      this.onDisconnect?.();
    }
  }

  private fail(error: SerialBackendError): void {
    if (this.closed) return;
    this.link.fail(error);
    this.onError?.(error);
  }

  private error(reason: SerialBackendReason, detail: string, cause?: unknown): SerialBackendError {
    return new SerialBackendError({ backend: 'pty', reason, endpoint: this.endpoint, detail, cause });
  }
}
