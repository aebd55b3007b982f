/* boot/boot.h: what the boot benchmark's kernel and its user program share:
 * system call numbers (Linux's where Linux has the call), the trap frame of
 * boot/entry.S, CSR access and Sv32 bits (privileged spec 1.12, 4.3). */
#ifndef BOOT_H
#define BOOT_H
#include <stdint.h>

#define SYS_WRITE 64
#define SYS_EXIT 93
#define SYS_GETPID 172
#define SYS_MUNMAP 215
#define SYS_POLL 1000  /* ours: a driver poll touching the UART and the PLIC */

struct frame {
    uint32_t x[32];  /* x[0] unused; x[2] is the trapped context's sp */
    uint32_t sepc, sstatus, scause, stval;
};

#define csr_read(csr) ({ unsigned long v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((unsigned long)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"r"((unsigned long)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((unsigned long)(v)) : "memory")

#define SSTATUS_SIE (1u << 1)
#define SSTATUS_SPP (1u << 8)
#define SSTATUS_SUM (1u << 18)
#define SIE_STIE (1u << 5)
#define SIE_SEIE (1u << 9)
#define IRQ_S_TIMER 5
#define IRQ_S_EXTERNAL 9
#define CAUSE_ECALL_U 8
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15

#define SATP_SV32 0x80000000u
#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u
#define PTE_G 0x20u
#define PTE_A 0x40u
#define PTE_D 0x80u

#endif
