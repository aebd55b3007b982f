/* htif-fail.S: reports failure code 3 through HTIF tohost, so that the
 * failure path of the convention is exercised. Expected exit status 3. */
#include "htif.h"

    .section .text.init, "ax"
    .globl _start
_start:
    HTIF_EXIT (3 << 1) | 1

    HTIF_SYMBOLS
