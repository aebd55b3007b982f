/* sbi/sbi.c: an S-mode guest that exercises the monitor's SBI (RISC-V SBI
 * specification 2.0) call by call, error cases included, and prints one
 * PASS or FAIL line per check through the SBI console (DBCN).
 *
 * Boot 1 runs every check, then asks for a warm reboot (SRST); boot 2
 * checks it came back and asks for a cold reboot; boot 3 prints the
 * summary and shuts down through SRST: reason "no reason" (exit 0) when
 * every check passed, "system failure" (exit 1) otherwise. The boot count
 * and the failures survive the reboots in a word just below the image
 * (0x803ff000), which a reboot does not clear.
 *
 * DBCN console_read reads whatever input is waiting: the host tests send
 * "hi" before the guest starts and check the line that echoes it. */

#include <stdint.h>

#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

#define EXT_BASE 0x10
#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434E

#define SIP_SSIP (1u << 1)
#define SIP_STIP (1u << 5)
#define SSTATUS_SIE (1u << 1)

#define csr_read(csr) ({ unsigned long v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"r"((unsigned long)(v)))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((unsigned long)(v)))

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                              unsigned long a2, unsigned long a3, unsigned long a4)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r3 __asm__("a3") = a3;
    register unsigned long r4 __asm__("a4") = a4;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ (long)r0, (long)r1 };
}

/* A legacy call (spec chapter 5): result in a0; every other register kept. *kept gets a1 after the call. */
static long sbi_legacy(unsigned long eid, unsigned long a0, unsigned long a1, unsigned long a2, unsigned long *kept)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r7) : "memory");
    if (kept) *kept = r1;
    return (long)r0;
}

/* ---------------------------------------------------------------- output */

static unsigned long slen(const char *s)
{
    unsigned long n = 0;
    while (s[n]) n++;
    return n;
}

static void out(const char *s)
{
    unsigned long n = slen(s);
    while (n > 0) {
        struct sbiret r = sbi_call(EXT_DBCN, 0, n, (unsigned long)s, 0, 0, 0);
        if (r.error != SBI_SUCCESS) return;
        s += r.value;
        n -= (unsigned long)r.value;
    }
}

static void out_hex(unsigned long v)
{
    char buf[11];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 8; i++) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    buf[10] = 0;
    out(buf);
}

static void out_dec(unsigned long v)
{
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && i > 0);
    out(buf + i);
}

/* Boot count and failures, kept across reboots below the image. */
struct persist {
    uint32_t magic;
    uint32_t boots;
    uint32_t fails;
};
#define PERSIST ((volatile struct persist *)PERSIST_ADDR) /* 0x803ff000 (Makefile) */
#define PERSIST_MAGIC 0x53424921

static unsigned passes, fails;

static void report(const char *name, int ok, unsigned long got, unsigned long want)
{
    if (ok) {
        passes++;
        out("PASS ");
        out(name);
        out("\n");
    } else {
        fails++;
        out("FAIL ");
        out(name);
        out(": got ");
        out_hex(got);
        out(", expected ");
        out_hex(want);
        out("\n");
    }
}

static void check(const char *name, unsigned long got, unsigned long want)
{
    report(name, got == want, got, want);
}

#define ANY (-1000)

/* A call's error, and on success its value (unless ANY). A failure shows the error, or the value if the error was right. */
static void check_ret(const char *name, struct sbiret r, long err, long val)
{
    if (r.error != err) report(name, 0, (unsigned long)r.error, (unsigned long)err);
    else report(name, err != SBI_SUCCESS || val == ANY || r.value == val, (unsigned long)r.value, (unsigned long)val);
}

/* ---------------------------------------------------------------- traps */

static volatile unsigned timer_hits, soft_hits, exc_hits, other_irqs;
static volatile unsigned long last_exc;

void trap_handler(unsigned long *frame);
void trap_handler(unsigned long *frame)
{
    unsigned long cause = csr_read(scause);
    if ((long)cause < 0) {
        unsigned long code = cause & 0x7fffffff;
        if (code == 5) {
            timer_hits++;
            sbi_call(EXT_TIME, 0, ~0ul, ~0ul, 0, 0, 0); /* no next event: clears STIP */
        } else if (code == 1) {
            soft_hits++;
            csr_clear(sip, SIP_SSIP);
        } else {
            other_irqs++;
            csr_clear(sie, 1ul << code);
        }
        return;
    }
    exc_hits++;
    last_exc = cause;
    uint16_t parcel = *(volatile uint16_t *)frame[0];
    frame[0] += (parcel & 3) == 3 ? 4 : 2; /* skip the faulting instruction */
}

static uint64_t rdtime(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi = (uint32_t)csr_read(timeh);
        lo = (uint32_t)csr_read(time);
        hi2 = (uint32_t)csr_read(timeh);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

static void set_timer(uint64_t t)
{
    sbi_call(EXT_TIME, 0, (unsigned long)t, (unsigned long)(t >> 32), 0, 0, 0);
}

/* ---------------------------------------------------------------- device tree */

static uint32_t be32(const volatile void *p)
{
    const volatile uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* The end of RAM from the /memory node's reg (2 address cells, 2 size cells on virt); 0 if not found. */
static unsigned long ram_end(const uint8_t *fdt)
{
    const uint8_t *s = fdt + be32(fdt + 8);
    const char *strings = (const char *)fdt + be32(fdt + 12);
    int depth = 0, in_memory = 0;
    for (;;) {
        uint32_t tok = be32(s);
        s += 4;
        if (tok == 1) { /* FDT_BEGIN_NODE */
            const char *name = (const char *)s;
            depth++;
            in_memory = depth == 2 && name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'o' && name[4] == 'r' && name[5] == 'y';
            s += (slen(name) + 4) & ~3ul;
        } else if (tok == 2) { /* FDT_END_NODE */
            depth--;
            in_memory = 0;
        } else if (tok == 3) { /* FDT_PROP */
            uint32_t len = be32(s), nameoff = be32(s + 4);
            const char *pname = strings + nameoff;
            if (in_memory && len == 16 && pname[0] == 'r' && pname[1] == 'e' && pname[2] == 'g' && pname[3] == 0)
                return be32(s + 12) + be32(s + 20);
            s += 8 + ((len + 3) & ~3u);
        } else if (tok == 4) { /* FDT_NOP */
        } else {
            return 0;
        }
    }
}

/* ---------------------------------------------------------------- the checks */

static char dbcn_text[] = "dbcn: console_write ok\n";
static char rx[8];
static volatile uint32_t mask_word;

static void test_entry(unsigned long hartid, const uint8_t *fdt)
{
    check("boot: a0 is the hart id 0", hartid, 0);
    check("boot: a1 points at the device tree", be32(fdt), 0xd00dfeed);
    unsigned before = exc_hits;
    (void)csr_read(sstatus);
    check("boot: in S-mode (sstatus readable)", exc_hits, before);
    (void)csr_read(mstatus);
    check("M-mode CSR mstatus is an illegal instruction", exc_hits - before, 1);
    check("  scause 2", last_exc, 2);
    (void)csr_read(mhartid);
    check("M-mode CSR mhartid is an illegal instruction", exc_hits - before, 2);
    __asm__ volatile("mret");
    check("mret from S is an illegal instruction", exc_hits - before, 3);
}

static void test_base(void)
{
    check_ret("base: get_spec_version is 2.0", sbi_call(EXT_BASE, 0, 0, 0, 0, 0, 0), 0, 0x02000000);
    check_ret("base: get_impl_id is 0x7873 (xsvisor)", sbi_call(EXT_BASE, 1, 0, 0, 0, 0, 0), 0, 0x7873);
    check_ret("base: get_impl_version is 1", sbi_call(EXT_BASE, 2, 0, 0, 0, 0, 0), 0, 1);
    static const unsigned long exts[] = { EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    unsigned found = 0;
    for (unsigned i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        struct sbiret r = sbi_call(EXT_BASE, 3, exts[i], 0, 0, 0, 0);
        if (r.error == 0 && r.value == 1) found++;
    }
    check("base: probe_extension finds BASE TIME sPI RFNC HSM SRST DBCN and legacy 0-8", found, 16);
    check_ret("base: probe_extension(PMU) is 0", sbi_call(EXT_BASE, 3, 0x504D55, 0, 0, 0, 0), 0, 0);
    check_ret("base: probe_extension(0x12345678) is 0", sbi_call(EXT_BASE, 3, 0x12345678, 0, 0, 0, 0), 0, 0);
    check_ret("base: get_mvendorid", sbi_call(EXT_BASE, 4, 0, 0, 0, 0, 0), 0, ANY);
    check_ret("base: get_marchid", sbi_call(EXT_BASE, 5, 0, 0, 0, 0, 0), 0, ANY);
    check_ret("base: get_mimpid", sbi_call(EXT_BASE, 6, 0, 0, 0, 0, 0), 0, ANY);
    check_ret("base: unknown function 7 is NOT_SUPPORTED", sbi_call(EXT_BASE, 7, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
    check_ret("unknown extension is NOT_SUPPORTED", sbi_call(0x0A000000, 0, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
    check_ret("legacy 0x09 (not legacy) is NOT_SUPPORTED", sbi_call(0x09, 0, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
}

static void test_time(void)
{
    unsigned before = exc_hits;
    uint64_t now = rdtime();
    check("time: rdtime from S works (mcounteren.TM)", exc_hits, before);
    set_timer(now > 0 ? now - 1 : 0);
    check("time: set_timer in the past raises STIP", csr_read(sip) & SIP_STIP, SIP_STIP);
    set_timer(~0ull);
    check("time: set_timer(-1) clears STIP", csr_read(sip) & SIP_STIP, 0);
    check_ret("time: unknown function is NOT_SUPPORTED", sbi_call(EXT_TIME, 1, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);

    timer_hits = 0;
    csr_set(sie, SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    set_timer(rdtime() + 10000); /* 1 ms at 10 MHz */
    for (int i = 0; i < 1000 && timer_hits == 0; i++) __asm__ volatile("wfi");
    csr_clear(sstatus, SSTATUS_SIE);
    csr_clear(sie, SIP_STIP);
    check("time: the timer interrupt arrives in S-mode (wfi)", timer_hits, 1);
    check("time: STIP clear after the handler's set_timer(-1)", csr_read(sip) & SIP_STIP, 0);

    unsigned long a1 = 0;
    now = rdtime();
    check("legacy set_timer returns 0", (unsigned long)sbi_legacy(0x00, (unsigned long)(now - 1), (unsigned long)((now - 1) >> 32), 0, &a1), 0);
    check("legacy set_timer in the past raises STIP", csr_read(sip) & SIP_STIP, SIP_STIP);
    sbi_legacy(0x00, ~0ul, ~0ul, 0, &a1);
    check("legacy set_timer(-1) clears STIP, keeps a1", (csr_read(sip) & SIP_STIP) | (a1 == ~0ul ? 0 : 1), 0);
}

static void test_ipi(void)
{
    check_ret("ipi: send_ipi(mask 1, base 0)", sbi_call(EXT_IPI, 0, 1, 0, 0, 0, 0), 0, ANY);
    check("ipi: SSIP set on self", csr_read(sip) & SIP_SSIP, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    check("ipi: SSIP cleared by the guest", csr_read(sip) & SIP_SSIP, 0);
    check_ret("ipi: send_ipi(base -1) targets every hart", sbi_call(EXT_IPI, 0, 0, ~0ul, 0, 0, 0), 0, ANY);
    check("ipi: SSIP set by base -1", csr_read(sip) & SIP_SSIP, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    check_ret("ipi: hart 1 does not exist: INVALID_PARAM", sbi_call(EXT_IPI, 0, 2, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("ipi: base 1 names hart 1: INVALID_PARAM", sbi_call(EXT_IPI, 0, 1, 1, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check("ipi: a refused send_ipi sets nothing", csr_read(sip) & SIP_SSIP, 0);
    check_ret("ipi: unknown function is NOT_SUPPORTED", sbi_call(EXT_IPI, 1, 1, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);

    soft_hits = 0;
    csr_set(sie, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
    sbi_call(EXT_IPI, 0, 1, 0, 0, 0, 0);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_clear(sie, SIP_SSIP);
    check("ipi: the software interrupt is taken in S-mode", soft_hits, 1);

    unsigned long a1 = 0;
    mask_word = 1;
    check("legacy send_ipi(&mask) returns 0", (unsigned long)sbi_legacy(0x04, (unsigned long)&mask_word, 0x1234, 0, &a1), 0);
    check("legacy send_ipi sets SSIP and keeps a1", (csr_read(sip) & SIP_SSIP) | (a1 == 0x1234 ? 0 : 1), SIP_SSIP);
    check("legacy clear_ipi returns 0", (unsigned long)sbi_legacy(0x03, 0, 0, 0, 0), 0);
    check("legacy clear_ipi clears SSIP", csr_read(sip) & SIP_SSIP, 0);
    sbi_legacy(0x04, 0, 0, 0, 0);
    check("legacy send_ipi(NULL) targets every hart", csr_read(sip) & SIP_SSIP, SIP_SSIP);
    sbi_legacy(0x03, 0, 0, 0, 0);
    check("legacy send_ipi(mask outside RAM) is INVALID_ADDRESS", (unsigned long)sbi_legacy(0x04, 0x10, 0, 0, 0), (unsigned long)SBI_ERR_INVALID_ADDRESS);
    mask_word = 2;
    check("legacy send_ipi(mask naming hart 1) is INVALID_PARAM", (unsigned long)sbi_legacy(0x04, (unsigned long)&mask_word, 0, 0, 0), (unsigned long)SBI_ERR_INVALID_PARAM);
}

static void test_rfence(void)
{
    check_ret("rfence: remote_fence_i", sbi_call(EXT_RFENCE, 0, 1, 0, 0, 0, 0), 0, ANY);
    check_ret("rfence: remote_sfence_vma", sbi_call(EXT_RFENCE, 1, 1, 0, 0, ~0ul, 0), 0, ANY);
    check_ret("rfence: remote_sfence_vma_asid", sbi_call(EXT_RFENCE, 2, 0, ~0ul, 0, ~0ul, 3), 0, ANY);
    check_ret("rfence: hart 2 does not exist: INVALID_PARAM", sbi_call(EXT_RFENCE, 0, 4, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("rfence: hfence_gvma_vmid (no H extension) is NOT_SUPPORTED", sbi_call(EXT_RFENCE, 3, 1, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
    mask_word = 1;
    check("legacy remote_fence_i(NULL) returns 0", (unsigned long)sbi_legacy(0x05, 0, 0, 0, 0), 0);
    check("legacy remote_sfence_vma(&mask) returns 0", (unsigned long)sbi_legacy(0x06, (unsigned long)&mask_word, 0, ~0ul, 0), 0);
    check("legacy remote_sfence_vma_asid(&mask) returns 0", (unsigned long)sbi_legacy(0x07, (unsigned long)&mask_word, 0, ~0ul, 0), 0);
}

static void test_hsm(void)
{
    check_ret("hsm: hart_get_status(0) is STARTED", sbi_call(EXT_HSM, 2, 0, 0, 0, 0, 0), 0, 0);
    check_ret("hsm: hart_get_status(1) is INVALID_PARAM", sbi_call(EXT_HSM, 2, 1, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("hsm: hart_start(0) is ALREADY_AVAILABLE", sbi_call(EXT_HSM, 0, 0, 0x80400000, 0, 0, 0), SBI_ERR_ALREADY_AVAILABLE, 0);
    check_ret("hsm: hart_start(1) is INVALID_PARAM", sbi_call(EXT_HSM, 0, 1, 0x80400000, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("hsm: hart_stop of the only hart is FAILED", sbi_call(EXT_HSM, 1, 0, 0, 0, 0, 0), SBI_ERR_FAILED, 0);
    check_ret("hsm: hart_suspend(default retentive) is NOT_SUPPORTED", sbi_call(EXT_HSM, 3, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
    check_ret("hsm: hart_suspend(reserved type) is INVALID_PARAM", sbi_call(EXT_HSM, 3, 1, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
}

static void test_srst_errors(void)
{
    check_ret("srst: reserved type 3 is INVALID_PARAM", sbi_call(EXT_SRST, 0, 3, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("srst: reserved reason 2 is INVALID_PARAM", sbi_call(EXT_SRST, 0, 0, 2, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("srst: vendor type is NOT_SUPPORTED", sbi_call(EXT_SRST, 0, 0xF0000000, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
    check_ret("srst: unknown function is NOT_SUPPORTED", sbi_call(EXT_SRST, 1, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
}

static void test_dbcn(unsigned long end)
{
    unsigned long n = slen(dbcn_text);
    check_ret("dbcn: console_write writes every byte", sbi_call(EXT_DBCN, 0, n, (unsigned long)dbcn_text, 0, 0, 0), 0, (long)n);
    check("dbcn: RAM end found in the device tree", end != 0, 1);
    check_ret("dbcn: console_write past the end of RAM is INVALID_PARAM", sbi_call(EXT_DBCN, 0, 16, end - 4, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("dbcn: console_write below RAM is INVALID_PARAM", sbi_call(EXT_DBCN, 0, 16, 0x7ffffff8, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("dbcn: console_write above 4 GiB is INVALID_PARAM", sbi_call(EXT_DBCN, 0, 4, (unsigned long)dbcn_text, 1, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    check_ret("dbcn: console_read past the end of RAM is INVALID_PARAM", sbi_call(EXT_DBCN, 1, 8, end - 2, 0, 0, 0), SBI_ERR_INVALID_PARAM, 0);
    struct sbiret r = sbi_call(EXT_DBCN, 1, sizeof rx, (unsigned long)rx, 0, 0, 0);
    check_ret("dbcn: console_read", r, 0, ANY);
    out("dbcn: console_read got ");
    out_dec((unsigned long)r.value);
    out(" bytes: '");
    rx[r.error == 0 && r.value < (long)sizeof rx ? r.value : 0] = 0;
    out(rx);
    out("'\n");
    check("legacy console_getchar with nothing waiting is -1", (unsigned long)sbi_legacy(0x02, 0, 0, 0, 0), ~0ul);
    out("dbcn: console_write_byte and legacy console_putchar: ");
    struct sbiret wb = sbi_call(EXT_DBCN, 2, '+', 0, 0, 0, 0);
    long pc = sbi_legacy(0x01, '+', 0, 0, 0);
    out("\n");
    check_ret("dbcn: console_write_byte", wb, 0, ANY);
    check("legacy console_putchar returns 0", (unsigned long)pc, 0);
    check_ret("dbcn: unknown function is NOT_SUPPORTED", sbi_call(EXT_DBCN, 3, 0, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED, 0);
}

int main(unsigned long hartid, const uint8_t *fdt);
int main(unsigned long hartid, const uint8_t *fdt)
{
    volatile struct persist *p = PERSIST;
    if (p->magic != PERSIST_MAGIC) {
        p->magic = PERSIST_MAGIC;
        p->boots = 0;
        p->fails = 0;
    }
    p->boots++;
    if (p->boots == 1) {
        out("sbi: S-mode guest, SBI checks\n");
        test_entry(hartid, fdt);
        test_base();
        test_time();
        test_ipi();
        test_rfence();
        test_hsm();
        test_srst_errors();
        test_dbcn(ram_end(fdt));
        check("no unexpected interrupt", other_irqs, 0);
        p->fails = fails;
        out("sbi: ");
        out_dec(passes);
        out(" passed, ");
        out_dec(fails);
        out(" failed; warm reboot\n");
        sbi_call(EXT_SRST, 0, 2, 0, 0, 0, 0);
        check("srst: warm reboot does not return", 1, 0);
    } else if (p->boots == 2) {
        check("srst: warm reboot boots the guest again", hartid, 0);
        p->fails += fails;
        fails = 0;
        out("sbi: cold reboot\n");
        sbi_call(EXT_SRST, 0, 1, 0, 0, 0, 0);
        check("srst: cold reboot does not return", 1, 0);
    } else {
        check("srst: cold reboot boots the guest again", p->boots, 3);
    }
    unsigned total = p->fails + fails;
    out("sbi: done, ");
    out_dec(total);
    out(total == 0 ? " failed: PASS\n" : " failed: FAIL\n");
    return total != 0;
}
