/* demo.c: xsvisor's interactive demo, what `npm start` boots. A small
 * shell on UART0 whose input arrives by interrupt (UART -> PLIC source 10
 * -> mip.MEIP -> trap handler), with commands that drive the LED on GPIO
 * line 0, read the button on GPIO line 1, and report each press of the
 * button from its falling-edge interrupt (PLIC source 65). It sleeps in
 * wfi whenever there is nothing to do.
 *
 * The GPIO block is xsvisor's addition to QEMU's virt machine, so the demo
 * looks for it in the device tree (a1 at boot); under QEMU it runs without
 * the LED and the button. */
#include <stdint.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "virt-io.h"

#define LED_LINE    0
#define BUTTON_LINE 1
#define TIMEBASE_HZ 10000000u   /* virt's CLINT: /cpus/timebase-frequency */

/* Received bytes, from the UART handler to the main loop. RX_SIZE is a
 * power of two so the free-running indices wrap cleanly; a byte arriving
 * with the ring full is dropped, as a UART overruns. */
#define RX_SIZE 128
static volatile uint8_t rx_ring[RX_SIZE];
static volatile uint32_t rx_head;   /* written by the handler only */
static volatile uint32_t rx_tail;   /* written by the main loop only */

static volatile uint32_t presses;   /* button presses, counted by the handler */
static uint32_t presses_reported;
static int have_gpio;

#define LINE_MAX 64
static char line[LINE_MAX];
static unsigned line_len;
static int last_was_cr;

/* The M-mode trap hook (trap.S saved the registers): external interrupts
 * are served here; anything else is a bug, reported as the default hook
 * does. */
void trap_handler(struct trap_frame *frame)
{
    if (frame->mcause != CAUSE_MACHINE_EXTERNAL) {
        printf("unexpected trap: mcause=0x%08lx mepc=0x%08lx mtval=0x%08lx\n",
               (unsigned long)frame->mcause, (unsigned long)frame->mepc,
               (unsigned long)frame->mtval);
        _exit(TRAP_EXIT_STATUS);
    }
    unsigned src;
    while ((src = plic_claim()) != 0) {
        if (src == PLIC_SRC_UART0) {
            /* Reading every waiting byte lowers the UART's interrupt. */
            while (mmio_read8(UART0_BASE + UART_LSR) & UART_LSR_DR) {
                uint8_t c = mmio_read8(UART0_BASE + UART_RBR);
                if (rx_head - rx_tail < RX_SIZE)
                    rx_ring[rx_head++ % RX_SIZE] = c;
            }
        } else if (src == PLIC_SRC_GPIO(BUTTON_LINE)) {
            gpio_clear_pending(GPIO_FALL_IP, BUTTON_LINE);
            presses++;
        }
        plic_complete(src);
    }
}

static int work_waiting(void)
{
    return rx_head != rx_tail || presses != presses_reported;
}

static uint64_t mtime(void)
{
    uint32_t hi, lo;
    do {    /* high, low, high again: a carry between the halves is not torn */
        hi = mmio_read32(CLINT_BASE + CLINT_MTIME + 4);
        lo = mmio_read32(CLINT_BASE + CLINT_MTIME);
    } while (hi != mmio_read32(CLINT_BASE + CLINT_MTIME + 4));
    return ((uint64_t)hi << 32) | lo;
}

static void show_prompt(void)
{
    fputs("demo> ", stdout);
    for (unsigned i = 0; i < line_len; i++)
        putchar(line[i]);
}

static void show_help(void)
{
    puts("commands:\n"
         "  help               this list\n"
         "  led on|off|toggle  drive the LED (GPIO line 0)\n"
         "  led                show the LED\n"
         "  button             show the button (GPIO line 1)\n"
         "  uptime             time since boot (CLINT mtime)\n"
         "  poweroff           exit through the test finisher");
}

static int need_gpio(void)
{
    if (!have_gpio)
        puts("no GPIO: the device tree has no sifive,gpio0 (QEMU's virt has none)");
    return have_gpio;
}

static void led_command(const char *arg)
{
    if (!need_gpio())
        return;
    int lit = gpio_get_bit(GPIO_OUTPUT_VAL, LED_LINE);
    if (strcmp(arg, "on") == 0)
        lit = 1;
    else if (strcmp(arg, "off") == 0)
        lit = 0;
    else if (strcmp(arg, "toggle") == 0)
        lit = !lit;
    else if (arg[0] != '\0') {
        printf("led: '%s' is not on, off or toggle\n", arg);
        return;
    }
    gpio_set_bit(GPIO_OUTPUT_VAL, LED_LINE, lit);
    printf("led %s\n", lit ? "on" : "off");
}

static void button_command(void)
{
    if (!need_gpio())
        return;
    /* Pulled up: the line reads 0 while the button connects it to ground. */
    int level = gpio_get_bit(GPIO_INPUT_VAL, BUTTON_LINE);
    printf("button %s (line reads %d), pressed %lu times\n",
           level ? "released" : "pressed", level, (unsigned long)presses);
}

static void uptime_command(void)
{
    uint64_t t = mtime();
    unsigned long s = (unsigned long)(t / TIMEBASE_HZ);
    unsigned long ms = (unsigned long)(t % TIMEBASE_HZ / (TIMEBASE_HZ / 1000));
    printf("up %lu.%03lu s\n", s, ms);
}

/* Runs one command line; returns 1 for poweroff. */
static int run_command(char *text)
{
    char *cmd = strtok(text, " \t");
    char *arg = cmd == NULL ? NULL : strtok(NULL, " \t");
    if (cmd == NULL)
        return 0;
    if (arg != NULL && strtok(NULL, " \t") != NULL)
        printf("%s: too many words\n", cmd);
    else if (strcmp(cmd, "help") == 0)
        show_help();
    else if (strcmp(cmd, "led") == 0)
        led_command(arg == NULL ? "" : arg);
    else if (strcmp(cmd, "button") == 0)
        button_command();
    else if (strcmp(cmd, "uptime") == 0)
        uptime_command();
    else if (strcmp(cmd, "poweroff") == 0) {
        puts("powering off");
        return 1;
    } else
        printf("%s: unknown command (try help)\n", cmd);
    return 0;
}

/* Line editing on one received byte; returns 1 when the line asked to
 * power off. Enter may arrive as CR (a raw terminal), LF (a pipe) or
 * CR LF (telnet-like clients): each ends one line. */
static int take_byte(int c)
{
    int after_cr = last_was_cr;
    last_was_cr = c == '\r';
    if (c == '\n' && after_cr)
        return 0;
    if (c == '\r' || c == '\n') {
        putchar('\n');
        line[line_len] = '\0';
        line_len = 0;
        if (run_command(line))
            return 1;
        show_prompt();
    } else if (c == '\b' || c == 0x7f) {
        if (line_len > 0) {
            line_len--;
            fputs("\b \b", stdout);
        }
    } else if (c == 0x03) {     /* Ctrl-C drops the line */
        line_len = 0;
        fputs("^C\n", stdout);
        show_prompt();
    } else if (c >= 0x20 && c < 0x7f && line_len < LINE_MAX - 1) {
        line[line_len++] = (char)c;
        putchar(c);
    }
    return 0;
}

int main(int hartid, char **boot_a1)
{
    (void)hartid;
    have_gpio = fdt_has_compatible((const uint8_t *)boot_a1, "sifive,gpio0");

    mmio_write8(UART0_BASE + UART_IER, UART_IER_ERBFI);
    plic_enable(PLIC_SRC_UART0);
    if (have_gpio) {
        gpio_set_bit(GPIO_OUTPUT_VAL, LED_LINE, 0);
        gpio_set_bit(GPIO_OUTPUT_EN, LED_LINE, 1);
        gpio_set_bit(GPIO_PUE, BUTTON_LINE, 1);
        gpio_set_bit(GPIO_INPUT_EN, BUTTON_LINE, 1);
        gpio_clear_pending(GPIO_FALL_IP, BUTTON_LINE);
        gpio_set_bit(GPIO_FALL_IE, BUTTON_LINE, 1);
        plic_enable(PLIC_SRC_GPIO(BUTTON_LINE));
    }
    external_interrupts_on();

    puts("xsvisor demo: UART0 input and the button arrive by interrupt through the PLIC.");
    if (have_gpio)
        puts("The LED is GPIO line 0, the button GPIO line 1 (press it in the board view).");
    else
        puts("No GPIO in the device tree (QEMU's virt has none): no LED, no button.");
    puts("Type 'help' for the commands.");
    show_prompt();

    for (;;) {
        if (rx_head != rx_tail) {
            int c = rx_ring[rx_tail % RX_SIZE];
            rx_tail++;
            if (take_byte(c))
                return 0;   /* crt0's _exit writes 0x5555 to the finisher */
        } else if (presses != presses_reported) {
            presses_reported = presses;
            /* Off the prompt line (no terminal escapes: the board view shows
             * the console too), then the prompt and the half-typed line back. */
            printf("\nbutton pressed (%lu)\n", (unsigned long)presses_reported);
            show_prompt();
        } else {
            wait_for_work(work_waiting);
        }
    }
}
