/* pairsweep — tests of the results store: write_run, the study file round trip, resume,
 * refusals, crash kills of a writer, a full disk. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/store.h"
#include "test_store_fixture.h"

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int run_python(const char *script, const char *args)
{
    const char *src = getenv("PS_SOURCE_DIR");
    const char *py = getenv("PS_PYTHON");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/tests/report/%s %s", py ? py : "/usr/bin/python3",
             src ? src : ".", script, args);
    return system(cmd);
}

static void test_write_run(void)
{
    ps_train_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.model, "cnn");
    cfg.epochs = 5;
    cfg.lr = 0.05f;
    cfg.seed = 12345678901234ull;
    ps_train_result r;
    fixture_result(&r, 5, 0.8f, 0.1f, 0);
    for (int e = 0; e < 5; e++) {
        r.train_loss[e] = 0.0f + 0.5f * (float)e;
        r.train_acc[e] = 1.0f + 0.5f * (float)e;
        r.eval_loss[e] = 2.0f + 0.5f * (float)e;
        r.eval_acc[e] = 3.0f + 0.5f * (float)e;
    }
    ps_err err = {0};
    const char *p = tpath("run.h5");
    CHECK_EQ_INT(ps_store_write_run(p, &cfg, &r, &err), 0);
    CHECK(access(tpath("run.h5.tmp"), F_OK) != 0);
    char args[600];
    snprintf(args, sizeof args, "%s 5", p);
    CHECK_EQ_INT(run_python("check_run_file.py", args), 0);
    /* overwrite works; a missing directory is one clear error */
    CHECK_EQ_INT(ps_store_write_run(p, &cfg, &r, &err), 0);
    CHECK(ps_store_write_run(tpath("nodir/run.h5"), &cfg, &r, &err) < 0);
    CHECK_STR_CONTAINS(err.msg, "does not exist");
    fixture_result_free(&r);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_test_store_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static void cleanup(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
}

int main(void)
{
    setup();
    static const check_test tests[] = {
        T(test_write_run),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    cleanup();
    return rc;
}
