/* pairsweep — a minimal test harness: each test is a named function registered in one list;
 * a failed check prints both values and file:line, and the test continues to the next test. */
#ifndef PAIRSWEEP_TESTS_CHECK_H
#define PAIRSWEEP_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    check_failures_++; return; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); if (a_ != b_) { \
    fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, a_, b_); \
    check_failures_++; return; } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (double)(a), b_ = (double)(b); \
    if (!(fabs(a_ - b_) <= (tol))) { \
    fprintf(stderr, "%s:%d: |%s - %s| <= %g failed: %.9g vs %.9g\n", __FILE__, __LINE__, #a, #b, \
            (double)(tol), a_, b_); check_failures_++; return; } } while (0)
#define CHECK_STR_CONTAINS(s, sub) do { const char *s_ = (s), *sub_ = (sub); \
    if (!s_ || !strstr(s_, sub_)) { \
    fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, s_ ? s_ : "(null)", sub_); \
    check_failures_++; return; } } while (0)

typedef struct { const char *name; void (*fn)(void); } check_test;

/* Runs every test of the list; prints "N passed, N failed" and returns the exit status. */
static inline int check_run(const check_test *tests, int n)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        int before = check_failures_;
        tests[i].fn();
        if (check_failures_ == before) { passed++; printf("ok   %s\n", tests[i].name); }
        else { failed++; printf("FAIL %s\n", tests[i].name); }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
#define CHECK_MAIN(...) int main(void) { static const check_test t_[] = { __VA_ARGS__ }; \
    return check_run(t_, (int)(sizeof t_ / sizeof t_[0])); }
#define T(fn) { #fn, fn }

#endif
