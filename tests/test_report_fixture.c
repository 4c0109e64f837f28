/* pairsweep tests — TEST FIXTURE GENERATOR: writes SYNTHETIC study files through the store API
 * (no training runs; the numbers are made up to look like the reports' studies), so that the
 * report, status and merge commands can be tested before real studies exist.
 *
 * usage: test_report_fixture OUT.h5 KIND [SHARD NSHARDS]
 *   KIND 000         report 000's seven models: 2 grid points × 5 CV folds, then 15 seeds of
 *                    the chosen point; test accuracies near the report's Table II, with a
 *                    per-seed component shared by all models (same seed → same pairs)
 *   KIND 002         report 002-like holdout study: 12 setups × 10 repetitions, no final phase
 *   KIND incomplete  000 with every fifth final task missing (not marked complete)
 * With SHARD/NSHARDS only the tasks i with i % NSHARDS == SHARD are written (shards of one
 * study for merge tests). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairsweep/store.h"
#include "test_store_fixture.h"

typedef struct rng { uint64_t s; } rng;

static double uniform(rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(rng *r)
{
    double u = uniform(r), v = uniform(r);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* accuracy on 1000 evaluation pairs: a multiple of 0.001 */
static float quantize(double acc)
{
    acc = acc > 0.999 ? 0.999 : acc < 0.4 ? 0.4 : acc;
    return (float)(floor(acc * 1000 + 0.5) / 1000);
}

static const char *const models000[] = {"cnn", "siamese", "siamese_aux", "siamese_v2",
                                        "resnet", "resnet_ws", "resnet_ws_aux"};
static const double means000[] = {0.82, 0.86, 0.92, 0.97, 0.79, 0.86, 0.88};
static const int64_t params000[] = {59373, 46033, 45937, 46033, 65666, 66260, 66260};

typedef struct gen {
    ps_store *s;
    rng r;
    int shard, nshards, counter, skip_every;
    double seed_effect[32];    /* per repetition, shared by all models */
    double fold_effect[8];
} gen;

static int add(gen *g, ps_task *t, float acc, float loss_final, int32_t epochs, int diverge)
{
    int mine = g->counter++ % g->nshards == g->shard;
    if (!mine || (g->skip_every && t->phase == PS_PHASE_FINAL && g->counter % g->skip_every == 0))
        return 0;
    ps_train_result res;
    fixture_result(&res, epochs, acc, loss_final, (unsigned)g->counter);
    rng local = {(uint64_t)g->counter * 7919u + 17u}; /* the same in every shard */
    for (int32_t e = 0; e < epochs; e++) { /* some epoch-to-epoch noise */
        res.eval_acc[e] = e + 1 < epochs ? quantize(res.eval_acc[e] + 0.01 * normal(&local))
                                         : acc;
        res.train_loss[e] *= (float)(1 + 0.05 * normal(&local));
        res.eval_loss[e] *= (float)(1 + 0.1 * normal(&local));
    }
    if (diverge) {
        res.status = PS_TASK_DIVERGED;
        snprintf(res.reason, sizeof res.reason, "training loss became NaN at epoch %d",
                 (int)epochs / 2);
        for (int32_t e = epochs / 2; e < epochs; e++)
            res.train_loss[e] = res.train_acc[e] = res.eval_loss[e] = res.eval_acc[e] = NAN;
    }
    ps_err err = {0};
    int rc = ps_store_add(g->s, t, &res, 1 + g->counter % 3, &err);
    fixture_result_free(&res);
    if (rc)
        fprintf(stderr, "fixture: %s\n", err.msg);
    return rc;
}

static int study000(gen *g, int32_t *planned)
{
    enum { NM = 7, NG = 2, NF = 5, NR = 15, EP = 25 };
    ps_store_grid_row grid[NM * NG];
    ps_store_model_row mr[NM];
    ps_store_plan_row plan[NM * (NG * NF + NR)];
    memset(grid, 0, sizeof grid);
    memset(mr, 0, sizeof mr);
    memset(plan, 0, sizeof plan);
    int32_t np = 0;
    for (int m = 0; m < NM; m++) {
        snprintf(mr[m].model, sizeof mr[m].model, "%s", models000[m]);
        snprintf(mr[m].arch, sizeof mr[m].arch, "fixture architecture of %s", models000[m]);
        mr[m].params = params000[m];
        mr[m].flops = 1e7;
        for (int k = 0; k < NG; k++) {
            ps_store_grid_row *gr = &grid[m * NG + k];
            snprintf(gr->model, sizeof gr->model, "%s", models000[m]);
            gr->grid = k;
            gr->batch_size = k ? 100 : 50;
            gr->lr = k ? 0.01f : 0.1f;
            gr->momentum = 0.9f;
            gr->use_bn = 1;
            gr->aux_weight = 1;
            gr->epochs = EP;
            for (int f = 0; f < NF; f++, np++) {
                plan[np] = (ps_store_plan_row){"", 0, "", k, f, 0};
                snprintf(plan[np].model, PS_NAME_MAX, "%s", models000[m]);
                ps_task t;
                fixture_task(&t, 0, models000[m], m, k, f, 0);
                memcpy(plan[np].task_id, t.id, sizeof t.id);
            }
        }
        for (int rep = 0; rep < NR; rep++, np++) {
            plan[np] = (ps_store_plan_row){"", 1, "", -1, -1, rep};
            snprintf(plan[np].model, PS_NAME_MAX, "%s", models000[m]);
        }
    }
    *planned = np;
    ps_err err = {0};
    if (ps_store_write_grid(g->s, grid, NM * NG, &err) ||
        ps_store_write_models(g->s, mr, NM, &err) || ps_store_write_plan(g->s, plan, np, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return 1;
    }
    for (int f = 0; f < NF; f++)
        g->fold_effect[f] = 0.01 * normal(&g->r);
    for (int rep = 0; rep < NR; rep++)
        g->seed_effect[rep] = 0.008 * normal(&g->r);
    for (int m = 0; m < NM; m++) {
        double cv[NG] = {0};
        for (int k = 0; k < NG; k++)
            for (int f = 0; f < NF; f++) {
                ps_task t;
                fixture_task(&t, 0, models000[m], m, k, f, 0);
                double acc = means000[m] - 0.02 + 0.015 * k + g->fold_effect[f] +
                             0.01 * normal(&g->r);
                cv[k] += quantize(acc) / NF;
                int diverge = m == 4 && k == 0 && f == 3; /* one diverged run */
                if (add(g, &t, quantize(acc), 0.03f, EP, diverge))
                    return 1;
            }
        int best = cv[1] >= cv[0];
        ps_store_selection sel;
        memset(&sel, 0, sizeof sel);
        snprintf(sel.model, sizeof sel.model, "%s", models000[m]);
        sel.grid = best;
        sel.cv_mean = (float)cv[best];
        sel.n_folds = NF;
        if (ps_store_set_selection(g->s, &sel, &err))
            return 1;
        for (int rep = 0; rep < NR; rep++) {
            ps_task t;
            fixture_task(&t, 1, models000[m], m, best, -1, rep);
            double acc = means000[m] + g->seed_effect[rep] + 0.012 * normal(&g->r);
            if (add(g, &t, quantize(acc), 0.02f + 0.01f * (float)m, EP, 0))
                return 1;
        }
    }
    return 0;
}

static int study002(gen *g, int32_t *planned)
{
    static const char *const st[3] = {"indep", "shared", "aux"};
    static const char *const pl[2] = {"A1", "A3"};
    static const double base[3] = {0.80, 0.815, 0.835};
    enum { NR = 10, EP = 30 };
    for (int rep = 0; rep < NR; rep++)
        g->seed_effect[rep] = 0.015 * normal(&g->r);
    int32_t n = 0;
    for (int s = 0; s < 3; s++)
        for (int p = 0; p < 2; p++)
            for (int k = 3; k <= 5; k += 2) {
                char name[PS_NAME_MAX];
                snprintf(name, sizeof name, "%s_%s_k%d", st[s], pl[p], k);
                for (int rep = 0; rep < NR; rep++, n++) {
                    ps_task t;
                    fixture_task(&t, 0, name, s * 4 + p * 2 + (k - 3) / 2, 0, -1, rep);
                    double acc = base[s] + 0.005 * p + 0.004 * (k - 3) + g->seed_effect[rep] +
                                 0.02 * normal(&g->r);
                    if (add(g, &t, quantize(acc), 0.01f * (float)(3 - s), EP, 0))
                        return 1;
                }
            }
    *planned = n;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: test_report_fixture OUT.h5 000|002|incomplete [SHARD NSHARDS]\n");
        return 2;
    }
    gen g = {NULL, {42}, 0, 1, 0, 0, {0}, {0}};
    if (argc == 5) {
        g.shard = atoi(argv[3]);
        g.nshards = atoi(argv[4]);
    }
    const char *kind = argv[2];
    int is002 = !strcmp(kind, "002");
    if (!strcmp(kind, "incomplete"))
        g.skip_every = 5;
    char text[256];
    snprintf(text, sizeof text, "# TEST FIXTURE (synthetic numbers)\nname: fixture_%s\n",
             is002 ? "002" : "000");
    ps_store_meta meta;
    fixture_meta(&meta, is002 ? "fixture_002" : "fixture_000", text, is002 ? 120 : 175);
    ps_err err = {0};
    if (ps_store_open(&g.s, argv[1], &meta, 1, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return 1;
    }
    int32_t planned = 0;
    int rc = is002 ? study002(&g, &planned) : study000(&g, &planned);
    int complete = !rc && g.nshards == 1 && !g.skip_every;
    if (ps_store_close(g.s, complete, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return 1;
    }
    return rc;
}
