/* hello.c: the smallest end-to-end guest: boot convention (a0 = hart id,
 * a1 = device tree), UART output through picolibc's printf, exit 0. */
#include <stdint.h>
#include <stdio.h>

/* Devicetree Specification 0.4, section 5.2: the blob starts with the
 * big-endian magic 0xd00dfeed. */
#define FDT_MAGIC 0xd00dfeedu

static uint32_t be32(const volatile uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* crt0 passes QEMU's boot registers through as main's arguments. */
int main(int hartid, char **boot_a1)
{
    const volatile uint8_t *fdt = (const volatile uint8_t *)boot_a1;

    printf("Hello from xsvisor guest!\n");
    printf("hart %d\n", hartid);
    printf("device tree magic %s\n", be32(fdt) == FDT_MAGIC ? "ok" : "missing");

    unsigned fib_a = 0, fib_b = 1;
    for (int i = 0; i < 20; i++) {
        unsigned next = fib_a + fib_b;
        fib_a = fib_b;
        fib_b = next;
    }
    printf("fib(20) = %u\n", fib_a);
    printf("signed %d, hex 0x%08x, char %c, string %s\n", -42, 0xC0FFEEu, 'x', "ok");
    printf("bye\n");
    return 0;
}
