/* protect.h: what the pmp and trigger guests share: probes.S's trap
 * records, mode switch and probes, and the PASS/FAIL checks. Each check
 * prints "PASS name" or "FAIL name: ..."; the exit status is the number of
 * failures. */
#ifndef GUESTS_PROTECT_H
#define GUESTS_PROTECT_H

#include <stdint.h>
#include <stdio.h>
#include "guest.h"

#define PROBE_FAULT 0xfa17fa17u
#define MODE_U      0u
#define MODE_S      MSTATUS_MPP_S

/* probes.S */
struct trap_rec { uint32_t count, cause, tval, epc, from; };
extern struct trap_rec mtrap, strap;
extern uint32_t m_escape;
extern char run_in_tail[], ret_stub[], ret_stub_end[], hot_mid[], hot_lw[];
void m_trap(void);
void s_trap(void);
typedef uint32_t probe_fn(uint32_t, uint32_t);
uint32_t run_in(uint32_t mpp, probe_fn *fn, uint32_t a, uint32_t b);
probe_fn p_lw, p_lbu, p_lhu, p_sw, p_sh, p_sb, p_amoadd, p_lr, p_exec, hot_loop, hot_load;

static int failures;

static inline uint32_t addr_of(const void *p) { return (uint32_t)(uintptr_t)p; }

static void check(const char *name, uint32_t got, uint32_t want)
{
    if (got == want) {
        printf("PASS %s\n", name);
    } else {
        printf("FAIL %s: got 0x%08lx, want 0x%08lx\n", name, (unsigned long)got, (unsigned long)want);
        failures++;
    }
}

/* No trap since the last look. */
static void no_trap(const char *name)
{
    check(name, mtrap.count, 0);
    mtrap.count = 0;
}

/* Exactly one M-mode trap since the last look, from mode `from` (0 U, 1 S,
 * 3 M), with this cause and epc (0: any), and a tval of `tval` or, when
 * `tval_alt` is not 1, of tval_alt (where the spec allows either). */
static void trapped(const char *name, uint32_t from, uint32_t cause, uint32_t epc, uint32_t tval, uint32_t tval_alt)
{
    struct trap_rec t = mtrap;
    mtrap.count = 0;
    int ok = t.count == 1 && t.from == from && t.cause == cause && (epc == 0 || t.epc == epc) &&
             (t.tval == tval || (tval_alt != 1 && t.tval == tval_alt));
    if (ok) {
        printf("PASS %s\n", name);
        return;
    }
    printf("FAIL %s: %lu traps, from %lu cause %lu epc 0x%08lx tval 0x%08lx; want from %lu cause %lu epc 0x%08lx tval 0x%08lx\n",
           name, (unsigned long)t.count, (unsigned long)t.from, (unsigned long)t.cause, (unsigned long)t.epc,
           (unsigned long)t.tval, (unsigned long)from, (unsigned long)cause, (unsigned long)epc, (unsigned long)tval);
    failures++;
}

static int finish(const char *group)
{
    if (failures == 0) printf("PASS %s\n", group);
    else printf("FAIL %s: %d checks\n", group, failures);
    return failures;
}

#endif
