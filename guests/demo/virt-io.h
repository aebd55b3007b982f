/* virt-io.h: interrupt-driven I/O on xsvisor's virt machine for the demo
 * and echo guests: the PLIC (context 0 = hart 0 M-mode), the UART's
 * receive interrupt, the sifive,gpio0 block xsvisor adds at 0x10060000
 * (not in QEMU's virt, so guests look for it in the device tree first),
 * and sleeping in wfi without missing a wake-up. Sources: RISC-V PLIC spec
 * 1.0.0 (memory map), PC16550D datasheet (IER), FE310-G002 manual chapter
 * 17 (GPIO), Devicetree Specification 0.4 chapter 5 (the blob). */
#ifndef GUESTS_VIRT_IO_H
#define GUESTS_VIRT_IO_H

#include <stdint.h>
#include <string.h>
#include "guest.h"

#define PLIC_BASE           0x0C000000
#define PLIC_PRIORITY(src)  (PLIC_BASE + 4 * (src))
#define PLIC_ENABLE_CTX0    (PLIC_BASE + 0x2000)
#define PLIC_THRESHOLD_CTX0 (PLIC_BASE + 0x200000)
#define PLIC_CLAIM_CTX0     (PLIC_BASE + 0x200004)
#define PLIC_SRC_UART0      10
#define PLIC_SRC_GPIO(line) (64 + (line))

#define UART_IER_ERBFI      0x01        /* received data available */

#define GPIO_BASE           0x10060000
#define GPIO_INPUT_VAL      0x00
#define GPIO_INPUT_EN       0x04
#define GPIO_OUTPUT_EN      0x08
#define GPIO_OUTPUT_VAL     0x0C
#define GPIO_PUE            0x10
#define GPIO_RISE_IE        0x18
#define GPIO_RISE_IP        0x1C
#define GPIO_FALL_IE        0x20
#define GPIO_FALL_IP        0x24

#define MIE_MEIE            (1u << 11)
#define CAUSE_MACHINE_EXTERNAL (CAUSE_INTR | 11)

#define csr_set(csr, v)   __asm__ volatile ("csrs " #csr ", %0" :: "rK"(v))
#define csr_clear(csr, v) __asm__ volatile ("csrc " #csr ", %0" :: "rK"(v))

/* Gives `src` priority 1 (0 means never) and enables it for context 0,
 * whose threshold stays 0, so any enabled source interrupts. */
static inline void plic_enable(unsigned src)
{
    mmio_write32(PLIC_PRIORITY(src), 1);
    uintptr_t word = PLIC_ENABLE_CTX0 + 4 * (src / 32);
    mmio_write32(word, mmio_read32(word) | (1u << (src % 32)));
    mmio_write32(PLIC_THRESHOLD_CTX0, 0);
}

/* The highest-priority pending source, now in service; 0 when none. */
static inline unsigned plic_claim(void) { return mmio_read32(PLIC_CLAIM_CTX0); }
static inline void plic_complete(unsigned src) { mmio_write32(PLIC_CLAIM_CTX0, src); }

static inline void gpio_set_bit(unsigned reg, unsigned line, int on)
{
    uint32_t v = mmio_read32(GPIO_BASE + reg);
    mmio_write32(GPIO_BASE + reg, on ? v | (1u << line) : v & ~(1u << line));
}

static inline int gpio_get_bit(unsigned reg, unsigned line)
{
    return (mmio_read32(GPIO_BASE + reg) >> line) & 1;
}

/* Pending bits clear when written with 1 (FE310 manual 17.6); writing 0
 * elsewhere leaves the other lines' bits alone. */
static inline void gpio_clear_pending(unsigned reg, unsigned line)
{
    mmio_write32(GPIO_BASE + reg, 1u << line);
}

/* Turns on machine external interrupts: the PLIC's context 0 reaches the
 * hart through mip.MEIP once mie.MEIE and mstatus.MIE are set. */
static inline void external_interrupts_on(void)
{
    csr_set(mie, MIE_MEIE);
    csr_set(mstatus, MSTATUS_MIE);
}

/* Sleeps until an interrupt unless `ready()` says there is work. MIE is
 * cleared around the check so that an interrupt arriving between the check
 * and the wfi is not slept through: wfi wakes on any interrupt enabled in
 * mie whatever MIE says, and the handler runs once MIE is set again. */
static inline void wait_for_work(int (*ready)(void))
{
    csr_clear(mstatus, MSTATUS_MIE);
    if (!ready())
        __asm__ volatile ("wfi");
    csr_set(mstatus, MSTATUS_MIE);
}

/* Devicetree Specification 0.4, chapter 5: header fields and tokens. */
#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_PROP       3
#define FDT_END        9

static inline uint32_t fdt_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* True when a node of the device tree at `fdt` lists `want` in its
 * compatible property. */
static inline int fdt_has_compatible(const uint8_t *fdt, const char *want)
{
    if (fdt == NULL || fdt_be32(fdt) != FDT_MAGIC)
        return 0;
    const uint8_t *p = fdt + fdt_be32(fdt + 8);
    const uint8_t *end = fdt + fdt_be32(fdt + 4);
    const char *names = (const char *)fdt + fdt_be32(fdt + 12);
    while (p + 4 <= end) {
        uint32_t token = fdt_be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            p += (strlen((const char *)p) + 1 + 3) & ~3u;
        } else if (token == FDT_PROP) {
            uint32_t len = fdt_be32(p);
            const char *value = (const char *)p + 8;
            if (strcmp(names + fdt_be32(p + 4), "compatible") == 0) {
                for (const char *s = value; s < value + len; s += strlen(s) + 1)
                    if (strcmp(s, want) == 0)
                        return 1;
            }
            p += 8 + ((len + 3) & ~3u);
        } else if (token == FDT_END) {
            break;
        }   /* FDT_END_NODE and FDT_NOP carry nothing */
    }
    return 0;
}

#endif
