/* One process, no workers: rank 0 is the scheduler's only worker (0) and runs every task
 * itself. Between epochs it passes stop requests and the time on, reports progress, and
 * gives the task up when the scheduler says so. */
#include "sweep_internal.h"

static int self_abort_cb(void *user, int32_t epoch, const ps_train_result *partial)
{
    ps__master *m = user;
    (void)epoch;
    (void)partial;
    int32_t w;
    int32_t n = ps__master_tick(m, &w, 1);
    ps__master_progress(m, 0);
    return n > 0 || m->ending;
}

int ps__local_run(ps__master *m, const ps_mnist *mn)
{
    for (;;) {
        int32_t w;
        (void)ps__master_tick(m, &w, 1);
        ps_task t;
        if (ps__master_next(m, 0, &t) != PS_SCHED_TASK)
            return m->failed_rc;
        ps__run x;
        ps__run_task(&x, &t, mn, self_abort_cb, m);
        ps_task done;
        int rc = ps__master_result(m, 0, &x.r, x.interrupted, &done);
        if (!rc)
            rc = ps__master_record(m, &done, &x.r, x.interrupted, 0, 0);
        ps__run_free(&x);
        if (rc)
            return rc;
    }
}
