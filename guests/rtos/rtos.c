/* rtos/rtos.c: a small preemptive RTOS and a demo that checks its own
 * timing, as real-time guests do (issue 15, item 3).
 *
 * The kernel: fixed-priority preemptive scheduling of five tasks on a
 * 1 ms CLINT tick (mtimecmp advanced by exactly one tick each time, so
 * the ticks do not drift), round robin between equals, system calls by
 * ECALL (sleep until a tick, send to and receive from a queue, wait for
 * the end), a blocking queue of 8 items, and a periodic software timer
 * run from the tick (every 10 ticks). Context switches happen in the trap
 * entry (switch.S): every task has its own stack and frame.
 *
 * The demo: a producer sends a time-stamped item every 2 ticks; a
 * consumer (higher priority) receives them, in order; a worker does a
 * fixed amount of computation every 5 ticks; an idle task waits in WFI.
 * It checks, in mtime units (10 MHz):
 *   - tick latency: mtime at the tick handler minus the tick's deadline,
 *     at most 100 us;
 *   - software timer: every period 10 ms within 100 us;
 *   - queue latency: receive minus send, at most 50 us;
 *   - worker deadline: each chunk done within its 5 ms period.
 * Then it prints the figures and PASS rtos (status 0) or FAIL rtos with
 * the checks that failed (status 1). Guest time per instruction decides:
 * at 2^2 ns per instruction (QEMU -icount shift=2, xsvisor --icount 2) it
 * passes, the same way every run; at 1 us per instruction the worker's
 * chunk outlasts its period and interrupts come late, so it fails; in real
 * time it depends on the host's load. */
#include <stdint.h>
#include <stdio.h>
#include "guest.h"

#define TICK            10000u          /* mtime ticks (10 MHz): 1 ms */
#define END_TICK        120u            /* the demo's length in ticks */
#define TIMER_PERIOD    10u             /* software timer, in ticks */
#define ITEMS           50u             /* items the producer sends */
#define WORK_PERIOD     5u              /* worker period, in ticks */
#define WORK_ROUNDS     5000u           /* worker computation per period */
#define LIMIT_TICK_LAT  1000u           /* 100 us */
#define LIMIT_TIMER_DEV 1000u           /* 100 us */
#define LIMIT_QUEUE_LAT 500u            /* 50 us */
#define QUEUE_SIZE      8u
#define STACK_WORDS     512u
#define FRAME_WORDS     32u

enum { SYS_SLEEP_UNTIL = 1, SYS_SEND = 2, SYS_RECEIVE = 3, SYS_WAIT_END = 4, SYS_START = 5 };
enum state { READY, SLEEPING, RECEIVING, WAITING_END, DONE };

struct item { uint32_t seq; uint32_t stamp; };

struct task {
    const char *name;
    uint32_t *frame;            /* saved registers while not running */
    enum state state;
    uint32_t priority;          /* higher runs first */
    uint32_t wake;              /* SLEEPING: the tick to wake at */
    uint32_t stack[STACK_WORDS];
};

enum { T_MAIN, T_CONSUMER, T_PRODUCER, T_WORKER, T_IDLE, NTASKS };
static struct task tasks[NTASKS];
static struct task *current;
/* The stack the kernel runs on (switch.S sets sp to its end on every trap). */
uint32_t rtos_kernel_stack[512] __attribute__((aligned(16)));
extern void rtos_trap_entry(void);

static volatile uint32_t ticks;
static uint32_t deadline;               /* mtime of the next tick */
static volatile int ended;

/* The queue. */
static struct item queue[QUEUE_SIZE];
static uint32_t q_head, q_count, q_dropped;

/* What the checks measured (mtime units). */
static uint32_t tick_lat_max, tick_late;
static uint32_t timer_runs, timer_last, timer_dev_max, timer_bad;
static uint32_t queue_lat_max, queue_late, received, out_of_order;
static uint32_t work_chunks, work_longest, work_missed;
static uint32_t checksum;

static inline uint32_t mtime_lo(void) { return mmio_read32(CLINT_BASE + CLINT_MTIME); }

static void set_mtimecmp(uint32_t lo)
{
    mmio_write32(CLINT_BASE + CLINT_MTIMECMP + 4, 0xffffffffu);
    mmio_write32(CLINT_BASE + CLINT_MTIMECMP, lo);
    mmio_write32(CLINT_BASE + CLINT_MTIMECMP + 4, 0);
}

static inline long syscall2(long n, long a0)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a7 __asm__("a7") = n;
    __asm__ volatile ("ecall" : "+r"(r_a0) : "r"(r_a7) : "memory");
    return r_a0;
}

/* ---------------------------------------------------------------- kernel */

static struct task *pick(void)
{
    /* Highest priority first; among equals, the next one after the current (round robin). */
    struct task *best = 0;
    int start = (int)(current - tasks);
    for (int k = 1; k <= NTASKS; k++) {
        struct task *t = &tasks[(start + k) % NTASKS];
        if (t->state == READY && (best == 0 || t->priority > best->priority)) best = t;
    }
    return best;
}

static void software_timer(uint32_t now)
{
    if (timer_runs > 0) {
        uint32_t interval = now - timer_last;
        uint32_t want = TIMER_PERIOD * TICK;
        uint32_t dev = interval > want ? interval - want : want - interval;
        if (dev > timer_dev_max) timer_dev_max = dev;
        if (dev > LIMIT_TIMER_DEV) timer_bad++;
    }
    timer_last = now;
    timer_runs++;
}

static void tick(void)
{
    uint32_t now = mtime_lo();
    uint32_t lat = now - deadline;
    if (lat > tick_lat_max) tick_lat_max = lat;
    if (lat > LIMIT_TICK_LAT) tick_late++;
    deadline += TICK;
    ticks++;
    if (ticks % TIMER_PERIOD == 0) software_timer(now);
    for (int i = 0; i < NTASKS; i++) {
        if (tasks[i].state == SLEEPING && (int32_t)(ticks - tasks[i].wake) >= 0) tasks[i].state = READY;
    }
    if (ticks >= END_TICK) {
        ended = 1;
        csr_write(mie, 0);
        set_mtimecmp(0xffffffffu);
        if (tasks[T_MAIN].state == WAITING_END) tasks[T_MAIN].state = READY;
        return;
    }
    set_mtimecmp(deadline);
}

static void send(uint32_t *frame)
{
    const struct item *it = (const struct item *)frame[10];
    struct task *rx = &tasks[T_CONSUMER];
    if (rx->state == RECEIVING && q_count == 0) {
        /* Hand the item straight to the waiting receiver: its a0 points at where it goes. */
        *(struct item *)rx->frame[10] = *it;
        rx->state = READY;
        frame[10] = 0;
    } else if (q_count < QUEUE_SIZE) {
        queue[(q_head + q_count) % QUEUE_SIZE] = *it;
        q_count++;
        frame[10] = 0;
    } else {
        q_dropped++;
        frame[10] = (uint32_t)-1;
    }
}

static void receive(uint32_t *frame)
{
    if (q_count > 0) {
        *(struct item *)frame[10] = queue[q_head];
        q_head = (q_head + 1) % QUEUE_SIZE;
        q_count--;
        return;
    }
    current->state = RECEIVING;
}

uint32_t *rtos_trap(uint32_t *frame, uint32_t mcause)
{
    current->frame = frame;
    if (mcause == 0x80000007u) {
        tick();
    } else if (mcause == 11) {
        frame[0] += 4;                  /* resume after the ECALL */
        switch (frame[17]) {
        case SYS_SLEEP_UNTIL:
            if ((int32_t)(ticks - frame[10]) < 0) {
                current->state = SLEEPING;
                current->wake = frame[10];
            }
            break;
        case SYS_SEND: send(frame); break;
        case SYS_RECEIVE: receive(frame); break;
        case SYS_WAIT_END: if (!ended) current->state = WAITING_END; break;
        case SYS_START: current->state = WAITING_END; break;
        default: current->state = DONE; break;
        }
    } else {
        printf("rtos: unexpected trap mcause=0x%08lx mepc=0x%08lx\n", (unsigned long)mcause, (unsigned long)frame[0]);
        mmio_write32(FINISHER_BASE, (2u << 16) | FINISHER_FAIL);
        for (;;) {}
    }
    current = pick();
    return current->frame;
}

static void task_exit(void)
{
    syscall2(0, 0);
    for (;;) {}
}

static void make_task(int i, const char *name, uint32_t priority, void (*entry)(void))
{
    struct task *t = &tasks[i];
    t->name = name;
    t->priority = priority;
    t->state = READY;
    t->frame = &t->stack[STACK_WORDS - FRAME_WORDS];
    for (unsigned k = 0; k < FRAME_WORDS; k++) t->frame[k] = 0;
    t->frame[0] = (uint32_t)(uintptr_t)entry;
    t->frame[1] = (uint32_t)(uintptr_t)task_exit;
    uint32_t gp, tp;
    __asm__ volatile ("mv %0, gp" : "=r"(gp));
    __asm__ volatile ("mv %0, tp" : "=r"(tp));
    t->frame[3] = gp;
    t->frame[4] = tp;
}

/* ----------------------------------------------------------------- tasks */

static void producer(void)
{
    struct item it;
    uint32_t next = ticks;
    for (uint32_t seq = 1; seq <= ITEMS; seq++) {
        next += 2;
        syscall2(SYS_SLEEP_UNTIL, (long)next);
        it.seq = seq;
        it.stamp = mtime_lo();
        syscall2(SYS_SEND, (long)(uintptr_t)&it);
    }
}

static void consumer(void)
{
    struct item it;
    for (uint32_t want = 1; want <= ITEMS; want++) {
        syscall2(SYS_RECEIVE, (long)(uintptr_t)&it);
        uint32_t lat = mtime_lo() - it.stamp;
        if (lat > queue_lat_max) queue_lat_max = lat;
        if (lat > LIMIT_QUEUE_LAT) queue_late++;
        if (it.seq != want) out_of_order++;
        received++;
    }
}

static void worker(void)
{
    uint32_t x = 12345;
    uint32_t next = ticks;
    while (!ended) {
        uint32_t start = mtime_lo();
        for (uint32_t i = 0; i < WORK_ROUNDS; i++) x = x * 1664525u + 1013904223u + (x >> 7);
        uint32_t took = mtime_lo() - start;
        checksum ^= x;
        work_chunks++;
        if (took > work_longest) work_longest = took;
        if (took > WORK_PERIOD * TICK) work_missed++;
        next += WORK_PERIOD;
        syscall2(SYS_SLEEP_UNTIL, (long)next);
    }
}

static void idle(void)
{
    for (;;) __asm__ volatile ("wfi");
}

/* ------------------------------------------------------------------ main */

int main(void)
{
    printf("rtos: %d tasks, tick %u us, software timer every %u ticks, %u ticks\n",
           NTASKS, TICK / 10, TIMER_PERIOD, END_TICK);
    make_task(T_CONSUMER, "consumer", 3, consumer);
    make_task(T_PRODUCER, "producer", 2, producer);
    make_task(T_WORKER, "worker", 1, worker);
    make_task(T_IDLE, "idle", 0, idle);
    tasks[T_MAIN].name = "main";
    tasks[T_MAIN].priority = 4;
    tasks[T_MAIN].state = READY;
    current = &tasks[T_MAIN];
    csr_write(mtvec, (uint32_t)(uintptr_t)rtos_trap_entry);
    deadline = mtime_lo() + TICK;
    set_mtimecmp(deadline);
    csr_write(mie, 1u << 7);           /* MTIE; MIE comes on in the tasks (switch.S) */
    syscall2(SYS_START, 0);             /* main waits here for the end; the tasks run */

    int failed = 0;
    printf("rtos: queue: %lu items received, %lu out of order, %lu dropped, latency max %lu us (limit %u)\n",
           (unsigned long)received, (unsigned long)out_of_order, (unsigned long)q_dropped,
           (unsigned long)(queue_lat_max / 10), LIMIT_QUEUE_LAT / 10);
    if (received != ITEMS || out_of_order != 0 || q_dropped != 0 || queue_late != 0) failed |= 1;
    printf("rtos: tick: %lu ticks, latency max %lu us (limit %u), %lu late\n",
           (unsigned long)ticks, (unsigned long)(tick_lat_max / 10), LIMIT_TICK_LAT / 10, (unsigned long)tick_late);
    if (tick_late != 0) failed |= 2;
    printf("rtos: software timer: %lu runs, period deviation max %lu us (limit %u)\n",
           (unsigned long)timer_runs, (unsigned long)(timer_dev_max / 10), LIMIT_TIMER_DEV / 10);
    if (timer_runs != END_TICK / TIMER_PERIOD || timer_bad != 0) failed |= 4;
    printf("rtos: worker: %lu chunks, longest %lu us (deadline %u), %lu missed, checksum %08lx\n",
           (unsigned long)work_chunks, (unsigned long)(work_longest / 10), WORK_PERIOD * TICK / 10,
           (unsigned long)work_missed, (unsigned long)checksum);
    if (work_missed != 0 || work_chunks == 0) failed |= 8;
    if (failed == 0) {
        printf("PASS rtos\n");
        return 0;
    }
    printf("FAIL rtos:%s%s%s%s\n", failed & 1 ? " queue" : "", failed & 2 ? " tick" : "",
           failed & 4 ? " timer" : "", failed & 8 ? " worker" : "");
    return 1;
}
