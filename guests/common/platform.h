/* platform.h: the QEMU `virt` addresses and register bits the guests rely on,
 * shared by C and assembly. Sources: QEMU hw/riscv/virt.c memory map,
 * hw/misc/sifive_test.c finisher codes, the PC16550D LSR bits, the SiFive
 * CLINT layout, and the RISC-V Privileged Architecture 1.12 CSR fields. */
#ifndef GUESTS_PLATFORM_H
#define GUESTS_PLATFORM_H

#define FINISHER_BASE   0x00100000
#define FINISHER_PASS   0x5555
#define FINISHER_FAIL   0x3333
#define FINISHER_RESET  0x7777

#define UART0_BASE      0x10000000
#define UART_THR        0
#define UART_RBR        0
#define UART_IER        1
#define UART_FCR        2
#define UART_LCR        3
#define UART_LSR        5
#define UART_LSR_DR     0x01
#define UART_LSR_THRE   0x20

#define CLINT_BASE      0x02000000
#define CLINT_MSIP      0x0000
#define CLINT_MTIMECMP  0x4000
#define CLINT_MTIME     0xBFF8

/* Neither QEMU nor the xsvisor map puts anything here: both must answer
 * with an access fault (QEMU virt leaves 0x0..0xfff for a debug block it
 * never creates). */
#define UNMAPPED_ADDR   0x00000000

#define MSTATUS_SIE     (1u << 1)
#define MSTATUS_MIE     (1u << 3)
#define MSTATUS_SPIE    (1u << 5)
#define MSTATUS_MPIE    (1u << 7)
#define MSTATUS_SPP     (1u << 8)
#define MSTATUS_MPP     (3u << 11)
#define MSTATUS_MPP_S   (1u << 11)
#define MSTATUS_MPRV    (1u << 17)
#define MSTATUS_TVM     (1u << 20)
#define MSTATUS_TW      (1u << 21)
#define MSTATUS_TSR     (1u << 22)

#define MIP_SSIP        (1u << 1)
#define MIP_MSIP        (1u << 3)
#define MIP_STIP        (1u << 5)
#define MIP_MTIP        (1u << 7)
#define MIP_SEIP        (1u << 9)
#define MIP_MEIP        (1u << 11)

#define CAUSE_INTR          0x80000000
#define CAUSE_FETCH_MISALIGNED  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL           2
#define CAUSE_BREAKPOINT        3
#define CAUSE_LOAD_MISALIGNED   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_STORE_MISALIGNED  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_ECALL_M           11

#endif
