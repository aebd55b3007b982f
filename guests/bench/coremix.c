/* coremix.c: the CoreMark-class benchmark guest (issue 18): a compute-bound
 * mix of the four kinds of work CoreMark measures, written here from that
 * description, not from its code: linked-list walks, searches and sorts;
 * small integer matrix arithmetic; a character-class state machine over a
 * text buffer; and CRC-16 folding every result. Each iteration's data
 * depend on the CRC of the one before, so no iteration can be skipped or
 * hoisted. Prints one CRC per kernel and a checksum, identical under
 * qemu-system-riscv32 -M virt -bios none and xsvisor.
 * ITERATIONS is set by the Makefile: coremix.elf runs over 10 s under
 * QEMU 7.2 TCG (bench:coremark), coremix-short.elf a few thousand
 * iterations for the differential test against QEMU. */
#include <stdint.h>
#include <stdio.h>

#ifndef ITERATIONS
#define ITERATIONS 100
#endif

/* CRC-16/CCITT (polynomial 0x1021, MSB first), bit by bit as a small
 * embedded program would compute it. */
static uint16_t crc16_byte(uint16_t crc, uint8_t b)
{
    crc ^= (uint16_t)(b << 8);
    for (int i = 0; i < 8; i++)
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    return crc;
}

static uint16_t crc16_word(uint16_t crc, uint32_t w)
{
    crc = crc16_byte(crc, (uint8_t)w);
    crc = crc16_byte(crc, (uint8_t)(w >> 8));
    crc = crc16_byte(crc, (uint8_t)(w >> 16));
    return crc16_byte(crc, (uint8_t)(w >> 24));
}

/* A linear congruential generator (Numerical Recipes' constants), seeded
 * from the previous iteration's CRC. */
static uint32_t lcg_state;

static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state;
}

/* ---- linked lists -------------------------------------------------- */

struct node {
    struct node *next;
    int16_t key;
    uint16_t order;  /* position at creation, to restore the order */
};

#define LIST_N 96
static struct node pool[LIST_N];

static struct node *list_build(void)
{
    struct node *head = 0;
    for (int i = LIST_N - 1; i >= 0; i--) {
        pool[i].key = (int16_t)(lcg() >> 16);
        pool[i].order = (uint16_t)i;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_find(struct node *n, int16_t key)
{
    while (n && n->key != key)
        n = n->next;
    return n;
}

static struct node *list_reverse(struct node *n)
{
    struct node *prev = 0;
    while (n) {
        struct node *next = n->next;
        n->next = prev;
        prev = n;
        n = next;
    }
    return prev;
}

/* Bottom-up merge sort of a singly linked list, by key or by order. */
static int before(const struct node *a, const struct node *b, int by_key)
{
    return by_key ? a->key <= b->key : a->order <= b->order;
}

static struct node *list_sort(struct node *list, int by_key)
{
    for (int width = 1;; width *= 2) {
        struct node *p = list, *tail = 0, *head = 0;
        int merges = 0;
        while (p) {
            merges++;
            struct node *q = p;
            int psize = 0;
            for (int i = 0; i < width && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = width;
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (psize == 0) {
                    e = q; q = q->next; qsize--;
                } else if (qsize == 0 || !q || before(p, q, by_key)) {
                    e = p; p = p->next; psize--;
                } else {
                    e = q; q = q->next; qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    head = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        list = head;
        if (merges <= 1)
            return list;
    }
}

static uint16_t kernel_list(uint16_t crc)
{
    struct node *list = list_build();
    /* searches: keys that are there (from the pool) and keys that may not be */
    for (int i = 0; i < 24; i++) {
        int16_t want = (i & 1) ? pool[(i * 7) % LIST_N].key : (int16_t)(lcg() >> 16);
        struct node *hit = list_find(list, want);
        crc = crc16_word(crc, hit ? hit->order : 0xffffu);
    }
    list = list_reverse(list);
    list = list_sort(list, 1);
    int16_t last = -32768;
    for (struct node *n = list; n; n = n->next) {
        if (n->key < last)
            return 0xdead;  /* unsorted: poison the result */
        last = n->key;
        crc = crc16_byte(crc, (uint8_t)n->key);
    }
    list = list_sort(list, 0);
    uint16_t expect = 0;
    for (struct node *n = list; n; n = n->next) {
        if (n->order != expect++)
            return 0xbeef;
        crc = crc16_byte(crc, (uint8_t)(n->key >> 8));
    }
    return crc;
}

/* ---- matrices ------------------------------------------------------ */

#define MAT_N 14
static int16_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N];
static int32_t mat_c[MAT_N][MAT_N];
static int16_t vec[MAT_N];

static uint16_t mat_fold(uint16_t crc)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++)
            crc = crc16_word(crc, (uint32_t)mat_c[i][j]);
    return crc;
}

static uint16_t kernel_matrix(uint16_t crc)
{
    int16_t k = (int16_t)((lcg() >> 20) | 1);
    for (int i = 0; i < MAT_N; i++) {
        vec[i] = (int16_t)(lcg() >> 22);
        for (int j = 0; j < MAT_N; j++) {
            uint32_t r = lcg();
            mat_a[i][j] = (int16_t)((r >> 8) & 0x3ff) - 512;
            mat_b[i][j] = (int16_t)((r >> 20) & 0x3ff) - 512;
        }
    }
    /* a += constant, then matrix x constant */
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (int16_t)(mat_a[i][j] + k);
            mat_c[i][j] = (int32_t)mat_a[i][j] * k;
        }
    crc = mat_fold(crc);
    /* matrix x vector */
    for (int i = 0; i < MAT_N; i++) {
        int32_t s = 0;
        for (int j = 0; j < MAT_N; j++)
            s += (int32_t)mat_a[i][j] * vec[j];
        mat_c[i][0] = s;
    }
    crc = mat_fold(crc);
    /* matrix x matrix, then a bit field of each product */
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int x = 0; x < MAT_N; x++)
                s += (int32_t)mat_a[i][x] * mat_b[x][j];
            mat_c[i][j] = (s >> 3) & 0xfff;
        }
    crc = mat_fold(crc);
    /* undo the constant, as CoreMark-like kernels do, to keep values bounded */
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++)
            mat_a[i][j] = (int16_t)(mat_a[i][j] - k);
    return crc16_word(crc, (uint32_t)mat_a[MAT_N - 1][MAT_N - 1]);
}

/* ---- state machine ------------------------------------------------- */

/* Classifies comma-separated tokens: integer, decimal, scientific, hex,
 * or invalid, counting transitions into each state. */
enum state { S_START, S_SIGN, S_INT, S_HEX0, S_HEX, S_DOT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_BAD, S_COUNT };

#define TEXT_N 384
static char text[TEXT_N + 1];
static const char alphabet[] = "0123456789012345+-.eEx,,abAF7 ";

static void text_build(void)
{
    for (int i = 0; i < TEXT_N; i++) {
        uint32_t r = lcg() >> 16;
        text[i] = alphabet[r % (sizeof alphabet - 1)];
    }
    text[TEXT_N] = 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static enum state step(enum state s, char c, uint32_t *transitions)
{
    enum state n;
    switch (s) {
    case S_START:
        n = c == '0' ? S_HEX0 : is_digit(c) ? S_INT : (c == '+' || c == '-') ? S_SIGN : c == '.' ? S_DOT : S_BAD;
        break;
    case S_SIGN:
        n = is_digit(c) ? S_INT : c == '.' ? S_DOT : S_BAD;
        break;
    case S_HEX0:
        n = (c == 'x') ? S_HEX : is_digit(c) ? S_INT : c == '.' ? S_FRAC : S_BAD;
        break;
    case S_INT:
        n = is_digit(c) ? S_INT : c == '.' ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        break;
    case S_HEX:
        n = is_hex(c) ? S_HEX : S_BAD;
        break;
    case S_DOT:
        n = is_digit(c) ? S_FRAC : S_BAD;
        break;
    case S_FRAC:
        n = is_digit(c) ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        break;
    case S_EXP:
        n = is_digit(c) ? S_EXPINT : (c == '+' || c == '-') ? S_EXPSIGN : S_BAD;
        break;
    case S_EXPSIGN:
    case S_EXPINT:
        n = is_digit(c) ? S_EXPINT : S_BAD;
        break;
    default:
        n = S_BAD;
        break;
    }
    if (n != s)
        transitions[n]++;
    return n;
}

static uint16_t kernel_state(uint16_t crc)
{
    uint32_t transitions[S_COUNT] = {0};
    uint32_t finals[S_COUNT] = {0};
    text_build();
    for (int pass = 0; pass < 2; pass++) {
        enum state s = S_START;
        for (const char *p = text; *p; p++) {
            if (*p == ',' || *p == ' ') {
                finals[s]++;
                s = S_START;
                continue;
            }
            s = step(s, *p, transitions);
        }
        finals[s]++;
        /* second pass over a scrambled copy: every 5th character flipped */
        for (int i = 0; i < TEXT_N; i += 5)
            text[i] = (char)(text[i] ^ 1);
    }
    for (int i = 0; i < S_COUNT; i++) {
        crc = crc16_word(crc, transitions[i]);
        crc = crc16_word(crc, finals[i]);
    }
    return crc;
}

int main(void)
{
    uint16_t crc_list = 0, crc_matrix = 0, crc_state = 0, seed = 0x1d0f;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        lcg_state = seed ^ (it << 16);
        crc_list = kernel_list(crc_list);
        crc_matrix = kernel_matrix(crc_matrix);
        crc_state = kernel_state(crc_state);
        seed = (uint16_t)(crc_list ^ crc_matrix ^ crc_state);
    }
    printf("iterations %lu\n", (unsigned long)ITERATIONS);
    printf("list   %04x\n", crc_list);
    printf("matrix %04x\n", crc_matrix);
    printf("state  %04x\n", crc_state);
    uint16_t total = crc16_word(crc16_word(crc16_word(0xffff, crc_list), crc_matrix), crc_state);
    printf("checksum %04x\n", total);
    return 0;
}
