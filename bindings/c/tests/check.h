/* A minimal test harness for the C-level tests: CHECK records a failure and goes on; main()
 * ends with the plain summary line "N passed, M failed" and a matching exit code. */
#ifndef ATTN_CHECK_H
#define ATTN_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks_passed = 0;
static int checks_failed = 0;

#define CHECK(condition, ...)                                                  \
    do {                                                                       \
        if (condition) {                                                       \
            checks_passed++;                                                   \
        } else {                                                               \
            checks_failed++;                                                   \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #condition);                                               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

/* The call must fail with `expected` and leave a non-empty message. */
#define CHECK_FAILS(call, expected)                                            \
    do {                                                                       \
        attn_status status_ = (call);                                          \
        CHECK(status_ == (expected), "%s returned %d (%s), expected %d: %s",   \
              #call, (int)status_, attn_status_string(status_), (int)(expected), \
              attn_last_error());                                              \
        CHECK(attn_last_error()[0] != '\0', "%s left no message", #call);      \
    } while (0)

#define CHECK_OK(call)                                                         \
    do {                                                                       \
        attn_status status_ = (call);                                          \
        CHECK(status_ == ATTN_OK, "%s returned %s: %s", #call,                 \
              attn_status_string(status_), attn_last_error());                 \
    } while (0)

static int check_summary(void) {
    printf("%d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

#endif
