/* echo.c: a test guest for xsvisor's interrupt paths. Every byte received
 * on UART0 is echoed back; the bytes come in through the receive interrupt
 * (UART -> PLIC source 10 -> mip.MEIP -> trap handler). GPIO line 1 (the
 * button) is mirrored onto line 0 (the LED) from the GPIO interrupt on both
 * edges (PLIC source 65): the LED line drives the level the button line
 * reads. Receiving 'q' (after echoing it) exits 0 through the finisher.
 * Without a sifive,gpio0 in the device tree (QEMU's virt) it only echoes.
 * The guest prints nothing else, so a test can compare the echo exactly,
 * and it sleeps in wfi whenever there is nothing to do. */
#include <stdint.h>
#include <unistd.h>
#include "guest.h"
#include "../demo/virt-io.h"

#define LED_LINE    0
#define BUTTON_LINE 1

/* Received bytes, from the handler to the main loop; a power of two so the
 * free-running indices wrap cleanly. Bytes arriving with it full are
 * dropped, as a UART overruns. */
#define RX_SIZE 256
static volatile uint8_t rx_ring[RX_SIZE];
static volatile uint32_t rx_head;   /* written by the handler only */
static volatile uint32_t rx_tail;   /* written by the main loop only */

static void mirror_button(void)
{
    gpio_set_bit(GPIO_OUTPUT_VAL, LED_LINE, gpio_get_bit(GPIO_INPUT_VAL, BUTTON_LINE));
}

/* Serves external interrupts; any other trap is a bug: exit with the
 * runtime's trap status. */
void trap_handler(struct trap_frame *frame)
{
    if (frame->mcause != CAUSE_MACHINE_EXTERNAL)
        _exit(TRAP_EXIT_STATUS);
    unsigned src;
    while ((src = plic_claim()) != 0) {
        if (src == PLIC_SRC_UART0) {
            while (mmio_read8(UART0_BASE + UART_LSR) & UART_LSR_DR) {
                uint8_t c = mmio_read8(UART0_BASE + UART_RBR);
                if (rx_head - rx_tail < RX_SIZE)
                    rx_ring[rx_head++ % RX_SIZE] = c;
            }
        } else if (src == PLIC_SRC_GPIO(BUTTON_LINE)) {
            /* Clear first, then sample: an edge after the sample raises a new interrupt. */
            gpio_clear_pending(GPIO_RISE_IP, BUTTON_LINE);
            gpio_clear_pending(GPIO_FALL_IP, BUTTON_LINE);
            mirror_button();
        }
        plic_complete(src);
    }
}

static int byte_waiting(void)
{
    return rx_head != rx_tail;
}

int main(int hartid, char **boot_a1)
{
    (void)hartid;
    mmio_write8(UART0_BASE + UART_IER, UART_IER_ERBFI);
    plic_enable(PLIC_SRC_UART0);

    if (fdt_has_compatible((const uint8_t *)boot_a1, "sifive,gpio0")) {
        gpio_set_bit(GPIO_PUE, BUTTON_LINE, 1);
        gpio_set_bit(GPIO_INPUT_EN, BUTTON_LINE, 1);
        gpio_set_bit(GPIO_OUTPUT_EN, LED_LINE, 1);
        gpio_clear_pending(GPIO_RISE_IP, BUTTON_LINE);
        gpio_clear_pending(GPIO_FALL_IP, BUTTON_LINE);
        gpio_set_bit(GPIO_RISE_IE, BUTTON_LINE, 1);
        gpio_set_bit(GPIO_FALL_IE, BUTTON_LINE, 1);
        mirror_button();
        plic_enable(PLIC_SRC_GPIO(BUTTON_LINE));
    }
    external_interrupts_on();

    for (;;) {
        if (rx_head == rx_tail) {
            wait_for_work(byte_waiting);
            continue;
        }
        uint8_t c = rx_ring[rx_tail % RX_SIZE];
        rx_tail++;
        uart_putc((char)c);
        if (c == 'q')
            return 0;   /* crt0's _exit writes 0x5555 to the finisher */
    }
}
