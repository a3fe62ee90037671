/* CHECK for the plain C tests: reports a failed condition with its place and counts it;
 * checks_result() ends main() with the verdict. */
#ifndef SIPW_TEST_CHECK_H
#define SIPW_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static int checks_result(const char *what) {
    if (failures) {
        fprintf(stderr, "%s: %d checks failed\n", what, failures);
        return 1;
    }
    printf("%s: all checks passed\n", what);
    return 0;
}

#endif
