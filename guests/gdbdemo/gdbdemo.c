/* gdbdemo.c: the guest the GDB stub's tests debug (docs/gdb.md). Built
 * with -O0 so that gdb finds every local and every line: a global that a
 * loop writes (for `watch`), a helper to `step` into, and exit status 3
 * so that gdb reports "exited with code 03". */
#include <stdio.h>

volatile unsigned counter;

static unsigned square(unsigned x)
{
    unsigned result = x * x;
    return result;
}

int main(void)
{
    unsigned sum = 0;
    for (unsigned i = 1; i <= 5; i++) {
        counter = i;
        sum += square(i);
    }
    printf("gdbdemo: sum %u\n", sum);
    return 3;
}
