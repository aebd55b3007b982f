/**
 * One debugger's connection, without the socket: the acknowledgements
 * (`+`/`-`, retransmission, `QStartNoAckMode`), the interrupt byte, the
 * commands handed to the stub, and the stop replies sent when the VM
 * stops. The host gives it GDB's bytes and a way to send bytes back and
 * to end the connection: a TCP socket on Node (host/gdb/server.ts), a lane
 * of the XS bridge under `--engine xs` (host/xs/engine-entry.ts).
 *
 * `D` or the host's {@link GdbConnection.gone} lets the VM run on without
 * breakpoints; `k` calls `onKill`; when the guest exits, GDB gets `W` and
 * the connection ends.
 */

import { encodePacket, RspDecoder, type RspEvent } from './rsp.js';
import { stopReply, type GdbStub, type StopEvent } from './stub.js';
import type { VmDebugger } from './vm-debugger.js';

/** The reason to stop a VM or monitor with when GDB kills the target (`k`): the CLI exits 0, as QEMU's stub does. */
export const GDB_KILL = 'gdb-kill';

/** Options of a {@link GdbConnection}. */
export interface GdbConnectionOptions {
  readonly debugger: VmDebugger;
  readonly stub: GdbStub;
  /** Sends bytes to GDB (queue them: it may be called from inside the VM's run). */
  write(bytes: Uint8Array): void;
  /** Ends the connection after what was written (called once). */
  end(): void;
  /** Messages for the user (detach, kill), without a trailing newline. */
  log(text: string): void;
  /** GDB asked to kill the target (`k`, `vKill`): end the run. */
  onKill(): void;
  /** Logs every packet in and out through `log` (for debugging the stub). */
  readonly trace?: boolean;
}

const latin1 = (text: string): Uint8Array => {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 0xff;
  return b;
};

/** A debugger's connection (see the module header). */
export class GdbConnection {
  private readonly o: GdbConnectionOptions;
  private readonly decoder: RspDecoder;
  private ack = true;
  private lastSent: Uint8Array | null = null;
  private closing = false;

  constructor(options: GdbConnectionOptions) {
    this.o = options;
    this.decoder = new RspDecoder({ onEvent: (e) => this.event(e) });
  }

  /** True once the connection ended (or is ending). */
  get ended(): boolean {
    return this.closing;
  }

  /** Bytes from GDB. */
  push(bytes: Uint8Array): void {
    this.decoder.push(bytes);
  }

  /** The VM stopped (or ended): tell GDB; an end ends the connection. */
  stopped(event: StopEvent): void {
    if (this.closing) return;
    this.send(stopReply(event));
    if (event.kind === 'exited' || event.kind === 'terminated') this.end();
  }

  /** Ends the connection (once). */
  end(): void {
    if (this.closing) return;
    this.closing = true;
    this.o.end();
  }

  /** GDB went away: it leaves no breakpoints behind, and no halted VM. */
  gone(): void {
    this.closing = true;
    const dbg = this.o.debugger;
    if (!dbg.hasEnded) dbg.detach();
  }

  private send(payload: string): void {
    if (this.closing) return;
    if (this.o.trace === true) this.o.log(`gdb <- ${payload.length > 200 ? `${payload.slice(0, 200)}...` : payload}`);
    const bytes = encodePacket(payload);
    this.lastSent = bytes;
    this.o.write(bytes);
  }

  private raw(text: string): void {
    if (!this.closing) this.o.write(latin1(text));
  }

  private event(e: RspEvent): void {
    const dbg = this.o.debugger;
    switch (e.kind) {
      case 'ack':
        this.lastSent = null;
        return;
      case 'nak':
        if (this.ack && this.lastSent !== null && !this.closing) this.o.write(this.lastSent);
        return;
      case 'bad-checksum':
        if (this.ack) this.raw('-');
        return;
      case 'overflow':
        if (this.ack) this.raw('+');
        this.send('E01');
        return;
      case 'interrupt':
        if (this.o.trace === true) this.o.log('gdb -> ^C');
        if (!dbg.isHalted && !dbg.hasEnded) this.send(stopReply(dbg.halt()));
        return;
      default:
        break;
    }
    if (this.ack) this.raw('+');
    if (this.o.trace === true) this.o.log(`gdb -> ${e.payload}`);
    const action = this.o.stub.handle(e.payload);
    switch (action.kind) {
      case 'reply':
        this.send(action.payload);
        return;
      case 'no-ack':
        this.send('OK');
        this.ack = false;
        return;
      case 'resume':
        // After the end there is nothing to run: say so again.
        if (dbg.hasEnded) this.send(stopReply(dbg.lastStop));
        else dbg.resume(action.step, action.address);
        return;
      case 'kill':
        if (action.reply !== null) this.send(action.reply);
        this.o.log('gdb killed the target');
        this.end();
        this.o.onKill();
        return;
      default:
        this.send('OK');
        this.o.log('gdb detached');
        this.end();
        dbg.detach();
    }
  }
}
