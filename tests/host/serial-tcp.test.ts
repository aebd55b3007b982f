/**
 * The TCP serial backend against real loopback sockets: bytes both ways,
 * QEMU's one-client-at-a-time behaviour, discards while nobody listens,
 * bounded buffers and backpressure, and close().
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { SerialBackendError, TcpSerial, parseSerialSpec } from '../../host/serial/index.js';
import { FakeUart, waitFor } from './serial-helpers.js';

/** A loopback client that collects what it receives. */
class Client {
  readonly socket: Socket;
  readonly chunks: Buffer[] = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => this.chunks.push(c));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString('latin1');
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) resolve();
      else {
        this.socket.once('close', () => resolve());
        this.socket.end();
      }
    });
  }
}

async function started(options: Partial<ConstructorParameters<typeof TcpSerial>[0]> = {}): Promise<TcpSerial> {
  const tcp = new TcpSerial({ port: 0, ...options });
  await tcp.start();
  return tcp;
}

describe('TcpSerial', () => {
  it('listens on 127.0.0.1 and reports the port it picked', async () => {
    const tcp = await started();
    try {
      assert.equal(tcp.host, '127.0.0.1');
      assert.ok(tcp.port > 0 && tcp.port < 65536);
      assert.equal(tcp.endpoint, `tcp:127.0.0.1:${tcp.port}`);
      assert.deepEqual(await tcp.start(), { host: '127.0.0.1', port: tcp.port }, 'starting twice returns the same address');
    } finally {
      await tcp.close();
    }
  });

  it('carries bytes both ways, unchanged', async () => {
    const tcp = await started();
    const uart = new FakeUart(tcp.factory);
    try {
      await waitFor(() => uart.budget > 0, 'the initial onWritable budget');
      assert.equal(uart.budget, 64 * 1024);
      const client = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the client to be served');
      const all = new Uint8Array(256).map((_, i) => i);
      await uart.sendAll(all);
      await waitFor(() => client.bytes.length === 256, 'guest output at the client');
      assert.deepEqual([...client.bytes], [...all]);
      client.socket.write(Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x03, 0x41]));
      await waitFor(() => uart.received.length === 6, 'client bytes at the guest');
      assert.deepEqual(uart.received, [0x00, 0xff, 0x0d, 0x0a, 0x03, 0x41]);
      assert.equal(tcp.stats.sent, 256);
      assert.equal(tcp.stats.received, 6);
      assert.equal(tcp.stats.connections, 1);
      await client.end();
    } finally {
      await tcp.close();
    }
  });

  it('discards output while no client is connected (as QEMU nowait), counts it, and keeps the budget coming', async () => {
    const tcp = await started();
    const uart = new FakeUart(tcp.factory);
    try {
      await waitFor(() => uart.budget > 0, 'the initial budget');
      const reports = uart.writableReports;
      await uart.sendAll('lost to nobody');
      await waitFor(() => uart.writableReports > reports && uart.budget === 64 * 1024, 'the budget to be reported again');
      assert.equal(tcp.stats.discarded, 14);
      const client = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the client');
      await uart.sendAll('seen');
      await waitFor(() => client.text === 'seen', 'output after connecting');
      assert.equal(tcp.stats.discarded, 14);
      await client.end();
      await waitFor(() => !tcp.connected, 'the disconnect');
      await uart.sendAll('gone again');
      await waitFor(() => tcp.stats.discarded === 24, 'the second discard');
    } finally {
      await tcp.close();
    }
  });

  it('holds a second client until the first leaves, then serves it with what it typed meanwhile (QEMU)', async () => {
    const peers: string[] = [];
    const tcp = await started({ onConnect: (p) => peers.push(`+${p}`), onDisconnect: (p) => peers.push(`-${p}`) });
    const uart = new FakeUart(tcp.factory);
    try {
      await waitFor(() => uart.budget > 0, 'the budget');
      const first = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the first client');
      const second = await Client.open(tcp.port);
      await waitFor(() => tcp.waiting === 1, 'the second client to wait');
      second.socket.write('typed early');
      await uart.sendAll('for the first');
      await waitFor(() => first.text === 'for the first', 'output at the first client');
      // A marker from the served client, sent after the waiting one typed: once it is read, the early bytes would have been too.
      first.socket.write('M');
      await waitFor(() => uart.text() === 'M', 'the served client\'s marker');
      assert.equal(second.text, '', 'a waiting client gets nothing');
      assert.equal(uart.text(), 'M', 'a waiting client is not read');

      await first.end();
      await waitFor(() => tcp.connected && tcp.waiting === 0, 'the second client to be served');
      await waitFor(() => uart.text() === 'Mtyped early', 'the waiting client\'s early bytes');
      await uart.sendAll('for the second');
      await waitFor(() => second.text === 'for the second', 'output at the second client');
      assert.equal(first.text, 'for the first');
      assert.equal(peers.length, 3);
      assert.match(peers[0], /^\+127\.0\.0\.1:/);
      assert.equal(peers[1], `-${peers[0].slice(1)}`);
      await second.end();
    } finally {
      await tcp.close();
    }
  });

  it('turns a client away politely when the waiting queue is full', async () => {
    const tcp = await started({ maxWaiting: 0 });
    try {
      const first = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the first client');
      const extra = await Client.open(tcp.port);
      await waitFor(() => extra.closed, 'the refused client to be disconnected');
      assert.match(extra.text, /busy: another client is connected/);
      assert.equal(tcp.stats.refused, 1);
      assert.ok(tcp.connected, 'the first client is undisturbed');
      await first.end();
    } finally {
      await tcp.close();
    }
  });

  it('drops the oldest input beyond its capacity, and counts it', async () => {
    const tcp = await started({ inputCapacity: 8 });
    const uart = new FakeUart(tcp.factory, { autoRead: false });
    try {
      const client = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the client');
      client.socket.write('0123456789abcdefghij');
      await waitFor(() => tcp.stats.received === 20, 'the input');
      uart.drain();
      assert.equal(uart.text(), 'cdefghij');
      assert.equal(tcp.stats.inputDropped, 12);
      await client.end();
    } finally {
      await tcp.close();
    }
  });

  it('stalls the guest (no budget) while a client does not read, without growing, then delivers everything in order', async () => {
    const capacity = 4096;
    const tcp = await started({ outputCapacity: capacity });
    const uart = new FakeUart(tcp.factory);
    try {
      const client = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the client');
      client.socket.pause();
      // Write a counting pattern as fast as the budget allows until the backend pushes back: after
      // the link's turn (queued by the first write, so it runs before ours) no new budget came.
      const limit = 64 * 1024 * 1024;
      let written = 0;
      for (let turns = 0; ; turns++) {
        assert.ok(turns < 1_000_000, 'the backend never pushed back');
        assert.ok(written < limit, `the backend took ${written} bytes from a client that reads nothing`);
        while (uart.budget > 0) {
          uart.port.write(written & 0xff);
          uart.budget--;
          written++;
        }
        await new Promise((r) => setImmediate(r));
        if (uart.budget === 0) break;
      }
      assert.equal(tcp.stats.sent, written, 'everything written went to the stream: the backend holds nothing beyond it');
      assert.equal(uart.budget, 0, 'the guest is out of budget');
      assert.equal(tcp.stats.overflow, 0, 'the guest never wrote past its budget');
      assert.ok(tcp.stats.sent <= written);
      client.socket.resume();
      await waitFor(() => client.bytes.length === written, `all ${written} bytes at the client`, 20_000);
      const got = client.bytes;
      for (let i = 0; i < got.length; i += 997) assert.equal(got[i], i & 0xff, `byte ${i}`);
      await waitFor(() => uart.budget === capacity, 'the budget after draining');
      await client.end();
    } finally {
      await tcp.close();
    }
  });

  it('counts and drops bytes written past the budget', async () => {
    const tcp = await started({ outputCapacity: 4 });
    const uart = new FakeUart(tcp.factory);
    try {
      const client = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the client');
      await waitFor(() => uart.budget === 4, 'the budget');
      for (const b of Buffer.from('abcdef')) uart.port.write(b); // 2 past the budget
      await waitFor(() => client.text === 'abcd', 'the 4 bytes that fit');
      assert.equal(tcp.stats.overflow, 2);
      await client.end();
    } finally {
      await tcp.close();
    }
  });

  it('close() stops the server, disconnects the client and closes the port', async () => {
    const tcp = await started();
    const uart = new FakeUart(tcp.factory);
    const client = await Client.open(tcp.port);
    await waitFor(() => tcp.connected, 'the client');
    const port = tcp.port;
    await tcp.close();
    await waitFor(() => client.closed, 'the client to be disconnected');
    await assert.rejects(Client.open(port), /ECONNREFUSED/);
    assert.throws(() => uart.port.write(0x41), (e: unknown) => e instanceof SerialBackendError && e.reason === 'closed');
    assert.throws(() => tcp.factory({}), (e: unknown) => e instanceof SerialBackendError && e.reason === 'closed');
    await tcp.close(); // twice is harmless
    await assert.rejects(tcp.start(), (e: unknown) => e instanceof SerialBackendError && e.reason === 'closed');
  });

  it('close() hands the client the guest\'s last bytes before disconnecting it', async () => {
    const tcp = await started();
    const uart = new FakeUart(tcp.factory);
    const client = await Client.open(tcp.port);
    await waitFor(() => tcp.connected && uart.budget > 0, 'the client and the budget');
    uart.send('last words\n');
    await tcp.close(); // at once, in the same turn as the writes
    await waitFor(() => client.closed, 'the disconnect');
    assert.equal(client.text, 'last words\n');
  });

  it('refuses a second open of the port, a port in use, and bad options, with typed errors', async () => {
    const tcp = await started();
    try {
      new FakeUart(tcp.factory);
      assert.throws(() => tcp.factory({}), (e: unknown) => e instanceof SerialBackendError && e.reason === 'in-use' && e.backend === 'tcp');
      const other = new TcpSerial({ port: tcp.port });
      await assert.rejects(other.start(), (e: unknown) => e instanceof SerialBackendError && e.reason === 'address-in-use' && /already in use/.test(e.message));
      await other.close();
    } finally {
      await tcp.close();
    }
    assert.throws(() => new TcpSerial({ port: 70000 }), (e: unknown) => e instanceof SerialBackendError && e.reason === 'bad-option');
    assert.throws(() => new TcpSerial({ port: 1, inputCapacity: 0 }), (e: unknown) => e instanceof SerialBackendError && e.reason === 'bad-option');
  });

  it('keeps bytes that arrive before the UART opens the port', async () => {
    const tcp = await started();
    try {
      const client = await Client.open(tcp.port);
      await waitFor(() => tcp.connected, 'the client');
      client.socket.write('early');
      await waitFor(() => tcp.stats.received === 5, 'the early bytes');
      const uart = new FakeUart(tcp.factory);
      await waitFor(() => uart.text() === 'early', 'the early bytes at the guest');
      await client.end();
    } finally {
      await tcp.close();
    }
  });
});

describe('parseSerialSpec', () => {
  it('reads the board file spelling and refuses the rest', () => {
    assert.deepEqual(parseSerialSpec('tcp:4444'), { kind: 'tcp', port: 4444, wait: true });
    assert.deepEqual(parseSerialSpec('tcp:4444,nowait'), { kind: 'tcp', port: 4444, wait: false });
    assert.deepEqual(parseSerialSpec('pty'), { kind: 'pty' });
    assert.deepEqual(parseSerialSpec('stdio'), { kind: 'stdio' });
    assert.deepEqual(parseSerialSpec('none'), { kind: 'none' });
    for (const bad of ['tcp:0', 'tcp:65536', 'tcp:', 'tcp::4444', 'udp:4444', 'PTY', '', 'tcp:4444,', 'tcp:4444,wait', 'tcp:0,nowait', 'pty,nowait']) assert.equal(parseSerialSpec(bad), null, bad);
  });
});
