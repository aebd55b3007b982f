/* runtime.c: the C side of guests/common: a polled ns16550a driver, the
 * picolibc tiny-stdio streams bound to it, and the default trap hook. */
#include <stdio.h>
#include <unistd.h>
#include "guest.h"

/* PC16550D: LCR=0x03 selects 8 data bits, no parity, 1 stop bit; FCR bit 0
 * enables the FIFOs. Neither matters to QEMU's model, but they are what a
 * driver for real hardware writes, so the monitor's UART must accept them. */
__attribute__((weak)) void uart_init(void)
{
    mmio_write8(UART0_BASE + UART_IER, 0x00);
    mmio_write8(UART0_BASE + UART_LCR, 0x03);
    mmio_write8(UART0_BASE + UART_FCR, 0x01);
}

void uart_putc(char c)
{
    while ((mmio_read8(UART0_BASE + UART_LSR) & UART_LSR_THRE) == 0)
        ;
    mmio_write8(UART0_BASE + UART_THR, (uint8_t)c);
}

int uart_try_getc(void)
{
    if ((mmio_read8(UART0_BASE + UART_LSR) & UART_LSR_DR) == 0)
        return -1;
    return mmio_read8(UART0_BASE + UART_RBR);
}

int uart_getc(void)
{
    int c;
    while ((c = uart_try_getc()) < 0)
        ;
    return c;
}

/* Output is sent as written ('\n' without '\r') so that captured guest
 * output compares byte for byte across QEMU and the monitor. */
static int stdio_put(char c, FILE *f)
{
    (void)f;
    uart_putc(c);
    return (unsigned char)c;
}

static int stdio_get(FILE *f)
{
    (void)f;
    return uart_getc();
}

static FILE uart_stream = FDEV_SETUP_STREAM(stdio_put, stdio_get, NULL, _FDEV_SETUP_RW);
FILE *const stdin = &uart_stream;
FILE *const stdout = &uart_stream;
FILE *const stderr = &uart_stream;

__attribute__((weak)) void trap_handler(struct trap_frame *frame)
{
    printf("unexpected trap: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n",
           (unsigned long)frame->mcause, (unsigned long)frame->mepc,
           (unsigned long)frame->mtval);
    _exit(TRAP_EXIT_STATUS);
}
