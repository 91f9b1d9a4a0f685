/* check.h: the few assertions the host tests need. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(c)                                                                  \
    do {                                                                          \
        check_count++;                                                            \
        if (!(c)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
            check_failures++;                                                     \
        }                                                                         \
    } while (0)

#define CHECK_STR(a, b)                                                                                     \
    do {                                                                                                    \
        check_count++;                                                                                      \
        if (strcmp((a), (b)) != 0) {                                                                        \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, (a), (b));                     \
            check_failures++;                                                                               \
        }                                                                                                   \
    } while (0)

#define RUN(test)                                    \
    do {                                             \
        int before = check_failures;                 \
        test();                                      \
        printf("%s %s\n", check_failures == before ? "ok  " : "FAIL", #test); \
    } while (0)

static inline int check_summary(void)
{
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
