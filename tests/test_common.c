/* Tests of src/common: the task-id set (ps_idset). */
#include <stdio.h>

#include "check.h"
#include "pairsweep/common.h"
#include "pairsweep/idset.h"

static void test_idset_put_get(void)
{
    ps_idset s;
    CHECK_EQ_INT(ps_idset_init(&s, 0), 0);
    CHECK_EQ_INT(ps_idset_get(&s, "0123456789abcdef"), -1);
    CHECK_EQ_INT(ps_idset_put(&s, "0123456789abcdef", 7), 0);
    CHECK_EQ_INT(ps_idset_put(&s, "t1", 0), 0);
    CHECK_EQ_INT(ps_idset_get(&s, "0123456789abcdef"), 7);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), 0);
    CHECK_EQ_INT(ps_idset_get(&s, "t"), -1);
    CHECK_EQ_INT(ps_idset_get(&s, "t12"), -1);
    /* a second put keeps the first index */
    CHECK_EQ_INT(ps_idset_put(&s, "t1", 3), 1);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), 0);
    CHECK_EQ_INT((int)s.n, 2);
    ps_idset_clear(&s);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), -1);
    CHECK_EQ_INT((int)s.n, 0);
    ps_idset_free(&s);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), -1); /* a freed set holds nothing */
}

/* Growing from the smallest room to thousands of ids keeps every index. */
static void test_idset_grow(void)
{
    ps_idset s;
    CHECK_EQ_INT(ps_idset_init(&s, 1), 0);
    char id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "%016x", (unsigned)i * 2654435761u);
        CHECK_EQ_INT(ps_idset_put(&s, id, i), 0);
    }
    CHECK_EQ_INT((int)s.n, 5000);
    CHECK(s.cap >= 10000);
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "%016x", (unsigned)i * 2654435761u);
        CHECK_EQ_INT(ps_idset_get(&s, id), i);
    }
    CHECK_EQ_INT(ps_idset_get(&s, "ffffffffffffffff"), -1);
    ps_idset_free(&s);
}

CHECK_MAIN(T(test_idset_put_get), T(test_idset_grow))
