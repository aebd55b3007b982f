/* guest.h: the C interface of guests/common: MMIO helpers, the trap frame
 * built by trap.S, and the hooks a guest may override. */
#ifndef GUESTS_GUEST_H
#define GUESTS_GUEST_H

#include <stdint.h>
#include "platform.h"

static inline void mmio_write8(uintptr_t addr, uint8_t v) { *(volatile uint8_t *)addr = v; }
static inline uint8_t mmio_read8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }

#define csr_read(csr) ({ uint32_t v__; __asm__ volatile ("csrr %0, " #csr : "=r"(v__)); v__; })
#define csr_write(csr, v) __asm__ volatile ("csrw " #csr ", %0" :: "rK"(v))

/* Layout fixed by trap.S: x[0..31], then the four CSRs it snapshots. */
struct trap_frame {
    uint32_t x[32];
    uint32_t mepc;
    uint32_t mcause;
    uint32_t mtval;
    uint32_t mstatus;
};

/* Called by trap.S for every M-mode trap. The default (weak) reports the
 * trap and exits with status TRAP_EXIT_STATUS; a guest overrides it to
 * handle traps, and may edit frame->mepc / frame->mstatus before return. */
void trap_handler(struct trap_frame *frame);
#define TRAP_EXIT_STATUS 99

/* Called by crt0 before main; weak, so a guest may set the UART up itself. */
void uart_init(void);
void uart_putc(char c);
int uart_getc(void);            /* blocks until a byte arrives */
int uart_try_getc(void);        /* -1 when nothing is waiting */

#endif
