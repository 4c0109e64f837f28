/* pairsweep — tests of the report module: statistics against reference values (computed
 * with scipy 1.10, quoted below), the report and status of SYNTHETIC fixture studies (written
 * by test_report_fixture), the figures, and the CLI's refusals. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/report.h"

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* Runs a shell command; returns its exit status. */
static int sh(const char *fmt, const char *a, const char *b, const char *c)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, fmt, a, b, c);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Space-separated names, each prefixed with the test directory. */
static const char *tpaths(const char *names)
{
    static char buf[2][2048];
    static int k;
    k ^= 1;
    buf[k][0] = 0;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", names);
    for (char *save = NULL, *w = strtok_r(tmp, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        size_t l = strlen(buf[k]);
        snprintf(buf[k] + l, sizeof buf[k] - l, "%s%s/%s", l ? " " : "", tmpdir, w);
    }
    return buf[k];
}

static const char *bin(const char *name)
{
    static char buf[2][1024];
    static int k;
    k ^= 1;
    const char *d = getenv("PS_BINARY_DIR");
    snprintf(buf[k], sizeof buf[k], "%s/%s%s", d ? d : ".",
             strcmp(name, "pairsweep") ? "tests/" : "", name);
    return buf[k];
}

static void test_summary(void)
{
    const double x[5] = {1, 2, 3, 4, 5};
    ps_summary s;
    ps_stats_summary(&s, x, 5);
    CHECK_NEAR(s.mean, 3, 1e-12);
    CHECK_NEAR(s.sd, 1.5811388300841898, 1e-12);
    /* scipy: t.ppf(0.975, 4) = 2.7764451051977987 */
    CHECK_NEAR(s.ci_hi - s.mean, 2.7764451051977987 * 1.5811388300841898 / sqrt(5.0), 1e-9);
    CHECK_NEAR(s.min, 1, 0);
    CHECK_NEAR(s.max, 5, 0);
    ps_stats_summary(&s, x, 1);
    CHECK(isnan(s.sd) && isnan(s.ci_lo));
}

static void test_tests(void)
{
    const double a[5] = {1, 2, 3, 4, 5}, b[5] = {1.5, 1.8, 3.7, 3.9, 5.6}, c[3] = {2.5, 3.1, 4.0};
    ps_compare r;
    /* scipy.stats.ttest_rel(a, b) = (-1.6035674514745462, 0.1840740319505769) */
    CHECK_EQ_INT(ps_stats_paired(&r, a, b, 5), 0);
    CHECK_NEAR(r.t, -1.6035674514745462, 1e-10);
    CHECK_NEAR(r.p, 0.1840740319505769, 1e-10);
    CHECK_NEAR(r.diff, -0.3, 1e-12);
    /* ttest_ind(a, b, equal_var=False) = (-0.29070094986690537, 0.7787007258652685) */
    CHECK_EQ_INT(ps_stats_welch(&r, a, 5, b, 5), 0);
    CHECK_NEAR(r.t, -0.29070094986690537, 1e-10);
    CHECK_NEAR(r.p, 0.7787007258652685, 1e-10);
    /* ttest_ind(a, c, equal_var=False) = (-0.24077170617153806, 0.8178658421314708) */
    CHECK_EQ_INT(ps_stats_welch(&r, a, 5, c, 3), 0);
    CHECK_NEAR(r.t, -0.24077170617153806, 1e-10);
    CHECK_NEAR(r.p, 0.8178658421314708, 1e-10);
    /* Nadeau-Bengio, 5 folds (ratio 1/4): t = -1.0690449676496974, p = 0.34527149890134506 */
    CHECK_EQ_INT(ps_stats_nadeau_bengio(&r, a, b, 5, 0.25), 0);
    CHECK_NEAR(r.t, -1.0690449676496974, 1e-10);
    CHECK_NEAR(r.p, 0.34527149890134506, 1e-10);
    CHECK_NEAR(r.df, 4, 0);
    /* no spread, too few */
    CHECK_EQ_INT(ps_stats_paired(&r, a, a, 5), PS_EINVAL);
    CHECK(isnan(r.p));
    CHECK_EQ_INT(ps_stats_welch(&r, a, 1, b, 5), PS_EINVAL);
}

static void test_holm(void)
{
    const double p[5] = {0.01, 0.04, 0.03, 0.005, NAN};
    double q[5];
    ps_stats_holm(q, p, 5);
    /* sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.04·1, 0.06) = 0.06 */
    CHECK_NEAR(q[0], 0.03, 1e-12);
    CHECK_NEAR(q[1], 0.06, 1e-12);
    CHECK_NEAR(q[2], 0.06, 1e-12);
    CHECK_NEAR(q[3], 0.02, 1e-12);
    CHECK(isnan(q[4]));
}

/* The whole report of a fixture, as text in memory. */
static char *report_text(const char *path, ps_report_format fmt, const char *out_dir)
{
    ps_results r;
    ps_err err = {0};
    if (ps_results_read(&r, path, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ps_report_opts o = {fmt, out_dir};
    const char *paths[1] = {path};
    int rc = ps_report_write(f, &r, paths, 1, &o, &err);
    fclose(f);
    ps_results_free(&r);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_report_000(void)
{
    const char *h5 = tpath("f000.h5");
    CHECK_EQ_INT(sh("%s %s 000", bin("test_report_fixture"), h5, ""), 0);
    char *t = report_text(h5, PS_REPORT_TEXT, NULL);
    CHECK(t != NULL);
    if (getenv("PS_TEST_VERBOSE"))
        fputs(t, stdout);
    CHECK_STR_CONTAINS(t, "Table I: models");
    CHECK_STR_CONTAINS(t, "59373");
    CHECK_STR_CONTAINS(t, "Table II");
    CHECK_STR_CONTAINS(t, "Selection");
    CHECK_STR_CONTAINS(t, "weight sharing: siamese − cnn = +");
    CHECK_STR_CONTAINS(t, "auxiliary loss: resnet_ws_aux − resnet_ws");
    CHECK_STR_CONTAINS(t, "Nadeau-Bengio");
    CHECK_STR_CONTAINS(t, "paired t");
    CHECK_STR_CONTAINS(t, "complete");
    CHECK(strstr(t, "INCOMPLETE") == NULL);
    CHECK_STR_CONTAINS(t, "diverged"); /* the fixture's one diverged run is listed */
    CHECK_STR_CONTAINS(t, "became NaN");
    free(t);
    t = report_text(h5, PS_REPORT_LATEX, NULL);
    CHECK(t != NULL);
    CHECK_STR_CONTAINS(t, "% needs \\usepackage{booktabs}");
    CHECK_STR_CONTAINS(t, "\\begin{tabular}{llr}\n\\toprule\nModel & Architecture & Parameters");
    CHECK_STR_CONTAINS(t, "\\midrule");
    CHECK_STR_CONTAINS(t, "\\bottomrule\n\\end{tabular}");
    CHECK(strstr(t, "\\hline") == NULL);
    CHECK_STR_CONTAINS(t, "$\\pm$");
    CHECK_STR_CONTAINS(t, "resnet\\_ws");
    CHECK_STR_CONTAINS(t, "(sd with n $-$ 1); 95\\% CI"); /* the notes, under the table */
    CHECK(strstr(t, "\n% mean") == NULL);
    free(t);
    t = report_text(h5, PS_REPORT_MARKDOWN, NULL);
    CHECK(t != NULL);
    CHECK_STR_CONTAINS(t, "| --- |");
    free(t);
}

static void test_report_002(void)
{
    const char *h5 = tpath("f002.h5");
    CHECK_EQ_INT(sh("%s %s 002", bin("test_report_fixture"), h5, ""), 0);
    char *t = report_text(h5, PS_REPORT_TEXT, NULL);
    CHECK(t != NULL);
    if (getenv("PS_TEST_VERBOSE"))
        fputs(t, stdout);
    CHECK_STR_CONTAINS(t, "report 002's layout");
    CHECK_STR_CONTAINS(t, "weight sharing: shared_A1_k3 − indep_A1_k3");
    CHECK_STR_CONTAINS(t, "auxiliary loss: aux_A3_k5 − shared_A3_k5");
    CHECK(strstr(t, "Table II") == NULL); /* no final phase */
    free(t);
}

static void test_incomplete_and_status(void)
{
    const char *h5 = tpath("finc.h5");
    CHECK_EQ_INT(sh("%s %s incomplete", bin("test_report_fixture"), h5, ""), 0);
    char *t = report_text(h5, PS_REPORT_TEXT, NULL);
    CHECK(t != NULL);
    CHECK_STR_CONTAINS(t, "INCOMPLETE");
    free(t);
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, h5, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int32_t missing = -1;
    CHECK_EQ_INT(ps_report_status(f, &r, h5, 1, &missing, &err), 0);
    fclose(f);
    /* the fixture skipped every fifth task it counted among the final ones */
    CHECK_EQ_INT(missing, r.planned_tasks - r.n_rows);
    CHECK(missing > 10);
    CHECK_STR_CONTAINS(buf, "missing");
    CHECK_STR_CONTAINS(buf, "diverged");
    free(buf);
    ps_results_free(&r);
    /* CLI: status exits 3 with tasks missing, 0 on the complete study */
    CHECK_EQ_INT(sh("%s status %s > /dev/null", bin("pairsweep"), h5, ""), 3);
    CHECK_EQ_INT(sh("%s status %s > /dev/null", bin("pairsweep"), tpath("f000.h5"), ""), 0);
}

/* Fig. 1's script: a log y axis, bands that stay positive (every datablock value > 0), the
 * models with auxiliary losses keyed as another quantity. */
static void check_loss_script(const char *gp)
{
    FILE *f = fopen(gp, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[8192];
    int in_block = 0, rows = 0, bad = 0, logy = 0, aux_key = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "$d", 2)) {
            in_block = 1;
            continue;
        }
        if (!strncmp(line, "EOD", 3)) {
            in_block = 0;
            continue;
        }
        if (in_block) {
            double e, m, lo, hi;
            rows++;
            bad += sscanf(line, "%lf %lf %lf %lf", &e, &m, &lo, &hi) != 4 || !(lo > 0) ||
                   !(lo <= m && m <= hi);
        }
        logy |= !strcmp(line, "set logscale y\n");
        aux_key |= strstr(line, "title 'siamese_aux (loss: target + aux)'") != NULL;
    }
    fclose(f);
    CHECK(rows > 20);
    CHECK_EQ_INT(bad, 0);
    CHECK(logy);
    CHECK(aux_key);
}

/* A Table II interval outside [0, 100] is printed clipped and marked, with a note giving it
 * as computed; CSV keeps it and notes it. The model's name exercises every LaTeX escape. */
static void test_ci_flag(void)
{
    static const char name[] = "odd_{x}&%#$~^\\<y>|";
    ps_store_row rows[2];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 2; i++) {
        rows[i].phase = 1;
        snprintf(rows[i].model, sizeof rows[i].model, "%s", name);
        snprintf(rows[i].task_id, sizeof rows[i].task_id, "%016d", i);
        rows[i].fold = -1;
        rows[i].rep = i;
        rows[i].eval_acc = i ? 1.0f : 0.99f; /* 99.5 ± 12.706·0.7071/√2: [93.15, 105.85] */
    }
    ps_results r;
    memset(&r, 0, sizeof r);
    r.rows = rows;
    r.n_rows = r.planned_tasks = 2;
    r.complete = 1;
    static const struct { ps_report_format fmt; const char *want[3]; } cases[] = {
        {PS_REPORT_TEXT, {"[93.15, 100.00]†", "† odd_{x}&%#$~^\\<y>|: the t interval [93.15, "
                          "105.85] leaves [0, 100] (n = 2)", NULL}},
        {PS_REPORT_CSV, {",93.1469", ",105.853", ": ci_lo, ci_hi [93.15, 105.85] leave [0, 100]"}},
        {PS_REPORT_LATEX, {"odd\\_\\{x\\}\\&\\%\\#\\$\\textasciitilde{}\\textasciicircum{}"
                           "\\textbackslash{}$<$y$>$$|$ & 0 & 99.50 $\\pm$ 0.71 & [93.15, "
                           "100.00]$^{\\dagger}$", "$^{\\dagger}$ odd\\_", NULL}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ps_report_opts o = {cases[c].fmt, NULL};
        const char *paths[1] = {"mem"};
        ps_err err = {0};
        CHECK_EQ_INT(ps_report_write(f, &r, paths, 1, &o, &err), 0);
        fclose(f);
        for (int k = 0; k < 3 && cases[c].want[k]; k++)
            CHECK_STR_CONTAINS(buf, cases[c].want[k]);
        if (getenv("PS_TEST_VERBOSE"))
            fputs(buf, stdout);
        free(buf);
    }
}

static void test_figures(void)
{
    const char *dir = tpath("figs");
    mkdir(dir, 0777);
    ps_results r;
    ps_err err = {0};
    CHECK_EQ_INT(ps_results_read(&r, tpath("f000.h5"), &err), 0);
    int rc = ps_report_figures(&r, dir, "", &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    ps_results_free(&r);
    static const char *const names[] = {"fig1_train_loss.png", "fig2_accuracy.png",
                                        "fig1_train_loss.svg", "fig2_accuracy.svg",
                                        "fig1_train_loss.pdf", "fig2_accuracy.pdf"};
    for (int i = 0; i < 6; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        struct stat st;
        CHECK(stat(p, &st) == 0);
        CHECK(st.st_size > 5000);
        FILE *f = fopen(p, "rb");
        char head[256] = "";
        size_t got = fread(head, 1, sizeof head - 1, f);
        fclose(f);
        head[got] = 0;
        if (i < 2)
            CHECK(!memcmp(head, "\x89PNG", 4));
        else if (i < 4)
            CHECK_STR_CONTAINS(head, "<svg");
        else
            CHECK(!memcmp(head, "%PDF", 4));
    }
    check_loss_script(tpath("figs/fig1_train_loss.gp"));
}

static void test_cli_refusals(void)
{
    const char *txt = tpath("not.h5");
    FILE *f = fopen(txt, "w");
    fputs("plain text\n", f);
    fclose(f);
    const char *err = tpath("err.txt");
    char redir[600];
    snprintf(redir, sizeof redir, "2> %s", err);
    CHECK_EQ_INT(sh("%s report %s > /dev/null %s", bin("pairsweep"), txt, redir), 2);
    f = fopen(err, "r");
    char line[1024] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
    }
    CHECK_STR_CONTAINS(line, "not an HDF5 file");
    CHECK_EQ_INT(sh("%s report %s --format pdf %s", bin("pairsweep"), tpath("f000.h5"), redir), 2);
    CHECK_EQ_INT(sh("%s report %s", bin("pairsweep"), "2>/dev/null", ""), 2);
    CHECK_EQ_INT(sh("%s report %s > /dev/null %s", bin("pairsweep"), tpath("missing.h5"), redir),
                 2); /* a missing input is bad input, as everywhere */
    CHECK_EQ_INT(sh("%s status %s > /dev/null %s", bin("pairsweep"), txt, redir), 2);
    CHECK_EQ_INT(sh("%s merge %s %s > /dev/null 2>&1", bin("pairsweep"), tpath("m.h5"), txt), 2);
    /* shards of different jobs */
    CHECK_EQ_INT(sh("%s merge %s %s 2>/dev/null >/dev/null", bin("pairsweep"), tpath("m.h5"),
                    tpaths("f000.h5 f002.h5")), 2);
    CHECK(access(tpath("m.h5"), F_OK) != 0);
}

static void test_merge_shards(void)
{
    /* three shards of the 000 fixture merged give the same report as the whole study */
    for (int i = 0; i < 3; i++) {
        char name[32], args[64];
        snprintf(name, sizeof name, "shard%d.h5", i);
        snprintf(args, sizeof args, "%d 3", i);
        CHECK_EQ_INT(sh("%s %s 000 %s", bin("test_report_fixture"), tpath(name), args), 0);
    }
    CHECK_EQ_INT(sh("%s merge %s %s > /dev/null", bin("pairsweep"), tpath("merged.h5"),
                    tpaths("shard0.h5 shard1.h5 shard2.h5")), 0);
    char *a = report_text(tpath("f000.h5"), PS_REPORT_CSV, NULL);
    char *b = report_text(tpath("merged.h5"), PS_REPORT_CSV, NULL);
    CHECK(a && b);
    /* identical from Table I on (the study header names the files and times) */
    CHECK(strstr(a, "# table: table1") && strstr(b, "# table: table1"));
    int same = !strcmp(strstr(a, "# table: table1"), strstr(b, "# table: table1"));
    if (!same)
        fprintf(stderr, "merged report differs:\n%s\n---\n%s\n", a, b);
    CHECK(same);
    free(a);
    free(b);
    /* report of the shards together joins them the same way */
    CHECK_EQ_INT(sh("%s report --format csv %s > %s", bin("pairsweep"),
                    tpaths("shard0.h5 shard1.h5 shard2.h5"), tpath("joined.csv")), 0);
}

/* A plan whose final cells are named after a group ("best_of"): the rows of whichever member
 * was chosen must be accounted to those cells. */
static void test_status_groups(void)
{
    ps_store_plan_row plan[4];
    memset(plan, 0, sizeof plan);
    for (int i = 0; i < 2; i++) { /* select cells of two members */
        plan[i].phase = 0;
        snprintf(plan[i].model, sizeof plan[i].model, i ? "m_b" : "m_a");
        snprintf(plan[i].task_id, sizeof plan[i].task_id, "%016d", i);
        plan[i].fold = -1;
    }
    for (int i = 2; i < 4; i++) { /* final cells under the group's name */
        plan[i].phase = 1;
        snprintf(plan[i].model, sizeof plan[i].model, "best_of");
        plan[i].grid = -1;
        plan[i].fold = -1;
        plan[i].rep = i - 2;
    }
    ps_store_row rows[3];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 3; i++) {
        rows[i].phase = i < 2 ? 0 : 1;
        snprintf(rows[i].model, sizeof rows[i].model, i == 1 ? "m_b" : "m_a");
        snprintf(rows[i].task_id, sizeof rows[i].task_id, "%016d", i < 2 ? i : 7);
        rows[i].fold = -1;
        rows[i].rep = 0;
    }
    ps_results r;
    memset(&r, 0, sizeof r);
    r.plan = plan;
    r.n_plan = 4;
    r.rows = rows;
    r.n_rows = 3;
    r.planned_tasks = 4;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int32_t missing = -1;
    ps_err err = {0};
    CHECK_EQ_INT(ps_report_status(f, &r, "mem", 1, &missing, &err), 0);
    fclose(f);
    CHECK_EQ_INT(missing, 1); /* best_of rep 1 */
    CHECK_STR_CONTAINS(buf, "best_of");
    free(buf);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_test_report_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    static const check_test tests[] = {
        T(test_summary), T(test_tests), T(test_holm), T(test_report_000), T(test_report_002),
        T(test_incomplete_and_status), T(test_status_groups), T(test_ci_flag), T(test_figures),
        T(test_cli_refusals),
        T(test_merge_shards),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (!getenv("PS_TEST_KEEP") && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    else if (getenv("PS_TEST_KEEP"))
        printf("kept %s\n", tmpdir);
    return rc;
}
