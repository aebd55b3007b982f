/* report.c: the C side of the guests/isa harness: prints the verdict of a
 * test group over the UART and exits with its status. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

extern uint32_t isa_trap_record[];

void isa_pass(const char *group)
{
    printf("PASS %s\n", group);
}

void isa_fail(const char *desc, uint32_t got, uint32_t want)
{
    printf("FAIL %s: got 0x%08lx, want 0x%08lx\n", desc, (unsigned long)got, (unsigned long)want);
    _exit(1);
}

/* Reached by a jump from a trap handler, in M or S mode. */
void isa_unexpected_trap(void)
{
    /* Indices follow the TR_* offsets in macros.h. */
    printf("FAIL unexpected trap in %s-mode handler: cause=0x%08lx epc=0x%08lx tval=0x%08lx\n",
           isa_trap_record[2] == 3 ? "M" : "S", (unsigned long)isa_trap_record[3],
           (unsigned long)isa_trap_record[4], (unsigned long)isa_trap_record[5]);
    _exit(2);
}
