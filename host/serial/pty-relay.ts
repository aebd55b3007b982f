/**
 * The pseudo-terminal relay: a small Python program, run with `python3 -I
 * -c`, that owns the pty pair for {@link PtySerial} (why Python, and the
 * QEMU behaviour it copies: docs/design.md#the-host). A string here, not a
 * .py file, so the compiled package carries it without a copy step.
 *
 * Protocol (pipes set up by the spawner): fd 0 bytes from the guest,
 * written to the master while a client holds the slave open, else
 * discarded and counted; fd 1 bytes the client wrote; fd 3 control lines
 * `ready PATH`, then `connected N` / `disconnected N` (N: bytes discarded
 * so far); fd 2 Python's diagnostics. The relay exits when fd 0 ends
 * (after up to a second handing its last bytes to a client).
 */

/** The relay program (Python 3.8 or later). */
export const PTY_RELAY_SOURCE = String.raw`
import errno, os, pty, select, signal, termios, time

# Ctrl-C at the terminal is for the monitor to act on; it stops the relay by closing fd 0.
signal.signal(signal.SIGINT, signal.SIG_IGN)

IN, OUT, CTL = 0, 1, 3
CAP = 65536
IDLE_MS = 50
# After fd 0 ends, how long the relay keeps trying to hand its last bytes to a client (seconds).
LINGER_S = 1.0

def make_raw(fd):
    a = termios.tcgetattr(fd)
    a[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP | termios.INLCR
              | termios.IGNCR | termios.ICRNL | termios.IXON | termios.IXOFF | termios.INPCK)
    a[1] &= ~termios.OPOST
    a[2] &= ~(termios.CSIZE | termios.PARENB)
    a[2] |= termios.CS8 | termios.CREAD | termios.CLOCAL
    a[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
    a[6][termios.VMIN] = 1
    a[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, a)

def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]

def ctl(line):
    write_all(CTL, (line + "\n").encode())

def drain_master(master):
    # Forward what the client wrote; stop at EAGAIN (nothing more) or EIO (nobody holds the slave).
    while True:
        try:
            data = os.read(master, CAP)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        if not data:
            return
        write_all(OUT, data)

def main():
    for fd in (IN, OUT, CTL):
        os.set_blocking(fd, True)
    master, slave = pty.openpty()
    make_raw(slave)
    path = os.ttyname(slave)
    os.close(slave)
    os.set_blocking(master, False)
    ctl("ready " + path)
    probe = select.poll()
    probe.register(master, select.POLLIN)
    connected = False
    pending = bytearray()
    discarded = 0
    ended_at = None
    while True:
        states = probe.poll(0)
        hup = any(ev & select.POLLHUP for _, ev in states)
        if any(ev & select.POLLIN for _, ev in states):
            drain_master(master)
        if hup and connected:
            connected = False
            discarded += len(pending)
            pending.clear()
            termios.tcflush(master, termios.TCIOFLUSH)
            ctl("disconnected %d" % discarded)
        elif not hup and not connected:
            connected = True
            ctl("connected %d" % discarded)
        if ended_at is not None and (not connected or not pending or time.monotonic() - ended_at > LINGER_S):
            return
        p = select.poll()
        if ended_at is None and len(pending) < CAP:
            p.register(IN, select.POLLIN)
        if connected:
            p.register(master, select.POLLIN | (select.POLLOUT if pending else 0))
        # While connected the master's POLLHUP wakes us when the client leaves; otherwise look for one now and then.
        events = p.poll(None if connected and ended_at is None else IDLE_MS)
        for fd, ev in events:
            if fd == IN:
                data = os.read(IN, CAP)
                if not data:
                    # The monitor is done: hand over what is pending (briefly), then exit.
                    ended_at = time.monotonic()
                    continue
                if connected:
                    pending += data
                else:
                    discarded += len(data)
            elif fd == master and connected:
                if ev & select.POLLIN:
                    drain_master(master)
                if ev & select.POLLOUT and pending:
                    try:
                        n = os.write(master, pending)
                        del pending[:n]
                    except OSError as e:
                        if e.errno not in (errno.EAGAIN, errno.EIO):
                            raise

try:
    main()
except BrokenPipeError:
    pass
`;
