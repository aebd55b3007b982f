/* boot/entry.S: entry, trap vector and user entry of the boot benchmark's
 * kernel (boot/kernel.c). Entered in S-mode as after OpenSBI: a0 = hart
 * id, a1 = device tree. The trap vector saves every register in a frame
 * on the kernel stack (sscratch holds the kernel stack top while U-mode
 * runs, 0 while the kernel runs, as Linux does), calls
 * trap_handler(frame), and returns with sret. */

    .section .text.init, "ax"
    .globl _start
_start:
    la      sp, __stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  csrw    sscratch, zero
    la      t0, trap_entry
    csrw    stvec, t0
    call    kmain
    /* kmain does not return; if it did, sbi_system_reset(SHUTDOWN, failure) */
    li      a0, 0
    li      a1, 1
    li      a6, 0
    li      a7, 0x53525354
    ecall
3:  wfi
    j       3b

/* Frame: x1..x31 at 4*n (x2 = the trapped context's sp), then sepc at
 * 128, sstatus at 132, scause at 136, stval at 140. */
#define FRAME 144
    .text
    .balign 4
    .globl trap_entry
trap_entry:
    csrrw   sp, sscratch, sp
    bnez    sp, 1f
    csrr    sp, sscratch        /* from S: sscratch held 0, now holds our sp */
1:  addi    sp, sp, -FRAME
    sw      x1, 4(sp)
    sw      x3, 12(sp)
    sw      x4, 16(sp)
    sw      x5, 20(sp)
    sw      x6, 24(sp)
    sw      x7, 28(sp)
    sw      x8, 32(sp)
    sw      x9, 36(sp)
    sw      x10, 40(sp)
    sw      x11, 44(sp)
    sw      x12, 48(sp)
    sw      x13, 52(sp)
    sw      x14, 56(sp)
    sw      x15, 60(sp)
    sw      x16, 64(sp)
    sw      x17, 68(sp)
    sw      x18, 72(sp)
    sw      x19, 76(sp)
    sw      x20, 80(sp)
    sw      x21, 84(sp)
    sw      x22, 88(sp)
    sw      x23, 92(sp)
    sw      x24, 96(sp)
    sw      x25, 100(sp)
    sw      x26, 104(sp)
    sw      x27, 108(sp)
    sw      x28, 112(sp)
    sw      x29, 116(sp)
    sw      x30, 120(sp)
    sw      x31, 124(sp)
    csrrw   t0, sscratch, zero  /* the trapped sp (U's or S's); the kernel runs with sscratch 0 */
    sw      t0, 8(sp)
    csrr    t0, sepc
    sw      t0, 128(sp)
    csrr    t0, sstatus
    sw      t0, 132(sp)
    csrr    t0, scause
    sw      t0, 136(sp)
    csrr    t0, stval
    sw      t0, 140(sp)
    mv      a0, sp
    call    trap_handler
    .globl trap_return
trap_return:                    /* a0 = frame */
    mv      sp, a0
    lw      t0, 128(sp)
    csrw    sepc, t0
    lw      t0, 132(sp)
    csrw    sstatus, t0
    andi    t0, t0, 0x100       /* SPP */
    bnez    t0, 2f
    addi    t1, sp, FRAME       /* back to U: the next trap starts from the stack top */
    csrw    sscratch, t1
2:  lw      x1, 4(sp)
    lw      x3, 12(sp)
    lw      x4, 16(sp)
    lw      x5, 20(sp)
    lw      x6, 24(sp)
    lw      x7, 28(sp)
    lw      x8, 32(sp)
    lw      x9, 36(sp)
    lw      x10, 40(sp)
    lw      x11, 44(sp)
    lw      x12, 48(sp)
    lw      x13, 52(sp)
    lw      x14, 56(sp)
    lw      x15, 60(sp)
    lw      x16, 64(sp)
    lw      x17, 68(sp)
    lw      x18, 72(sp)
    lw      x19, 76(sp)
    lw      x20, 80(sp)
    lw      x21, 84(sp)
    lw      x22, 88(sp)
    lw      x23, 92(sp)
    lw      x24, 96(sp)
    lw      x25, 100(sp)
    lw      x26, 104(sp)
    lw      x27, 108(sp)
    lw      x28, 112(sp)
    lw      x29, 116(sp)
    lw      x30, 120(sp)
    lw      x31, 124(sp)
    lw      sp, 8(sp)
    sret

/* enter_user(pc, sp, arg): starts a process in U-mode with a fresh frame
 * at the top of the kernel stack (whatever the kernel had on it is
 * abandoned: a process start never returns). */
    .globl enter_user
enter_user:
    csrci   sstatus, 2          /* no interrupt until sret: trap_return sets sscratch for U */
    la      t0, __stack_top
    addi    t0, t0, -FRAME
    sw      a0, 128(t0)
    sw      a1, 8(t0)
    sw      a2, 40(t0)
    csrr    t1, sstatus
    li      t2, 0x100           /* SPP = U */
    not     t2, t2
    and     t1, t1, t2
    ori     t1, t1, 0x20        /* SPIE: interrupts on in U */
    sw      t1, 132(t0)
    mv      a0, t0
    j       trap_return
