/* hostile/sbi-storm.c: an S-mode guest (xsvisor `firmware: "sbi"`, 16 MiB
 * of RAM, linked at 0x80400000 with guests/sbi's entry and layout) that
 * storms the monitor's SBI with absurd calls and checks every answer
 * against the SBI 2.0 specification:
 *
 * - 20000 calls to pseudo-random extension IDs none of which exists:
 *   SBI_ERR_NOT_SUPPORTED (-2) for each (spec 3: unknown EID);
 * - known extensions with unknown function IDs (0x7fffffff, 0xffffffff):
 *   NOT_SUPPORTED;
 * - hart masks naming harts that do not exist (mask 0xffffffff, base
 *   0x7fffffff, base 0xfffffffe): SBI_ERR_INVALID_PARAM (-3) and no IPI;
 * - DBCN console_write/read with buffers that run past the end of RAM,
 *   wrap past 2^32, lie in MMIO, or have base_hi != 0: INVALID_PARAM
 *   (-3), nothing printed and nothing written (spec 12.1/12.2);
 * - 20000 BASE calls in a row (a storm of requests, not a trap storm).
 *
 * Prints one PASS/FAIL line per group through DBCN, then shuts down
 * through SRST: exit 0 when every check passed, 1 otherwise. */

#include <stdint.h>

#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define EXT_BASE 0x10
#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434E
#define SIP_SSIP (1u << 1)

#define RAM_END 0x81000000u /* 16 MiB: the configuration's "ram" */
#define N 20000u

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                              unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ (long)r0, (long)r1 };
}

static void puts_(const char *s)
{
    unsigned long n = 0;
    while (s[n]) n++;
    sbi_call(EXT_DBCN, 0, n, (unsigned long)s, 0);
}

static unsigned failures;

static void check(const char *what, int ok)
{
    puts_(ok ? "PASS " : "FAIL ");
    puts_(what);
    puts_("\n");
    if (!ok) failures++;
}

static int known(uint32_t eid)
{
    return eid <= 8 || eid == EXT_BASE || eid == EXT_TIME || eid == EXT_IPI || eid == EXT_RFENCE ||
           eid == EXT_HSM || eid == EXT_SRST || eid == EXT_DBCN;
}

void trap_handler(uint32_t *frame)
{
    (void)frame;
    puts_("FAIL unexpected trap\n");
    sbi_call(EXT_SRST, 0, 0, 1, 0);
}

static uint32_t sip(void)
{
    unsigned long v;
    __asm__ volatile("csrr %0, sip" : "=r"(v));
    return v;
}

int main(void)
{
    /* Unknown extensions. */
    uint32_t eid = 0x12345678u, bad = 0, tried = 0;
    for (uint32_t i = 0; i < N; i++) {
        eid = eid * 1664525u + 1013904223u;
        if (known(eid)) continue;
        tried++;
        struct sbiret r = sbi_call(eid, eid >> 7, 0xffffffffu, 0x80000000u, 0);
        if (r.error != SBI_ERR_NOT_SUPPORTED) bad++;
    }
    check("unknown extensions are NOT_SUPPORTED", bad == 0 && tried > N - 10);

    /* Unknown functions of known extensions. */
    static const uint32_t exts[] = { EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN };
    bad = 0;
    for (unsigned i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (sbi_call(exts[i], 0x7fffffffu, 0, 0, 0).error != SBI_ERR_NOT_SUPPORTED) bad++;
        if (sbi_call(exts[i], 0xffffffffu, 0, 0, 0).error != SBI_ERR_NOT_SUPPORTED) bad++;
    }
    check("unknown functions are NOT_SUPPORTED", bad == 0);

    /* Hart masks naming harts that do not exist: INVALID_PARAM, and no IPI raised. */
    int ok = 1;
    ok &= sbi_call(EXT_IPI, 0, 0xffffffffu, 0, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= sbi_call(EXT_IPI, 0, 1, 0x7fffffffu, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= sbi_call(EXT_IPI, 0, 0x80000000u, 0xfffffffeu, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= sbi_call(EXT_RFENCE, 0, 0xffffffffu, 0, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= sbi_call(EXT_RFENCE, 1, 2, 0, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= sbi_call(EXT_HSM, 0, 0xffffffffu, 0, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= sbi_call(EXT_HSM, 2, 0x80000000u, 0, 0).error == SBI_ERR_INVALID_PARAM;
    ok &= (sip() & SIP_SSIP) == 0;
    check("huge hart masks are INVALID_PARAM and raise nothing", ok);

    /* DBCN buffers outside RAM: refused, nothing printed, nothing written. "LEAK" would show in the output. */
    volatile char *tail = (volatile char *)(RAM_END - 4);
    char saved[4];
    for (int i = 0; i < 4; i++) saved[i] = tail[i];
    tail[0] = 'L'; tail[1] = 'E'; tail[2] = 'A'; tail[3] = 'K';
    ok = 1;
    ok &= sbi_call(EXT_DBCN, 0, 8, RAM_END - 4, 0).error == SBI_ERR_INVALID_PARAM;          /* runs past RAM */
    ok &= sbi_call(EXT_DBCN, 0, 0xffffffffu, 0x80400000u, 0).error == SBI_ERR_INVALID_PARAM; /* 4 GiB long */
    ok &= sbi_call(EXT_DBCN, 0, 16, 0xfffffff8u, 0).error == SBI_ERR_INVALID_PARAM;         /* wraps past 2^32 */
    ok &= sbi_call(EXT_DBCN, 0, 4, 0x10000000u, 0).error == SBI_ERR_INVALID_PARAM;          /* the UART's MMIO */
    ok &= sbi_call(EXT_DBCN, 0, 4, RAM_END - 4, 1).error == SBI_ERR_INVALID_PARAM;          /* base_hi != 0 */
    ok &= sbi_call(EXT_DBCN, 0, 1, RAM_END, 0).error == SBI_ERR_INVALID_PARAM;              /* one past RAM */
    ok &= sbi_call(EXT_DBCN, 0, 4, 0x7ffffffcu, 0).error == SBI_ERR_INVALID_PARAM;          /* just below RAM */
    ok &= sbi_call(EXT_DBCN, 1, 8, RAM_END - 4, 0).error == SBI_ERR_INVALID_PARAM;          /* read past RAM */
    ok &= sbi_call(EXT_DBCN, 1, 0x1000000u, 0x80000000u, 1).error == SBI_ERR_INVALID_PARAM;
    ok &= tail[0] == 'L' && tail[1] == 'E' && tail[2] == 'A' && tail[3] == 'K';
    for (int i = 0; i < 4; i++) tail[i] = saved[i];
    check("DBCN buffers outside RAM are INVALID_PARAM and touch nothing", ok);

    /* A storm of requests. */
    bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        struct sbiret r = sbi_call(EXT_BASE, 0, 0, 0, 0);
        if (r.error != 0 || r.value != 0x02000000) bad++;
    }
    check("20000 BASE calls in a row", bad == 0);

    puts_(failures == 0 ? "PASS sbi-storm\n" : "FAIL sbi-storm\n");
    return failures == 0 ? 0 : 1;
}
