/* pairsweep report — Fig. 1 and Fig. 2 of report 000, drawn by gnuplot (driven through a
 * pipe: the data go inline as datablocks; gnuplot's pngcairo, svg and pdfcairo terminals draw).
 *
 * Fig. 1 (training loss) has a logarithmic y axis: its line is the geometric mean over runs
 * and its band the geometric mean ×/÷ the geometric standard deviation (mean ± sd of log loss),
 * which stays positive and is symmetric on that axis; an arithmetic mean ± sd band would cross
 * zero. Fig. 2 (accuracy) is the mean ± sd, the band clipped to [0, 100]. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pairsweep/models.h"
#include "pairsweep/path.h"
#include "study.h"

enum { FIG_LOSS = 0, FIG_ACCURACY = 1 };

/* Per epoch of a model's runs, over the runs with a finite value: for FIG_LOSS the geometric
 * mean and its ×/÷ 1 geometric sd band (positive values only), for FIG_ACCURACY the mean of
 * 100·value and its ± 1 sd band clipped to [0, 100]. */
static void curve_stats(const ps_results *r, const float *curve, const obs *o, int32_t n,
                        int which, FILE *g, int block)
{
    fprintf(g, "$d%d << EOD\n", block);
    for (int32_t e = 0; e < r->epochs_max; e++) {
        double s = 0, s2 = 0;
        int32_t c = 0;
        for (int32_t i = 0; i < n; i++) {
            double v = curve[(size_t)o[i].row * (size_t)r->epochs_max + (size_t)e];
            v = which == FIG_LOSS ? (v > 0 ? log(v) : NAN) : 100.0 * v;
            if (isfinite(v)) {
                s += v;
                s2 += v * v;
                c++;
            }
        }
        if (c == 0)
            continue;
        double m = s / c, sd = c > 1 ? sqrt(fmax(0, (s2 - c * m * m) / (c - 1))) : 0;
        if (which == FIG_LOSS)
            fprintf(g, "%d %.8g %.8g %.8g\n", (int)e + 1, exp(m), exp(m - sd), exp(m + sd));
        else
            fprintf(g, "%d %.8g %.8g %.8g\n", (int)e + 1, m, fmax(m - sd, 0.0),
                    fmin(m + sd, 100.0));
    }
    fprintf(g, "EOD\n");
}

/* The key's name of a model: the training loss of a model with auxiliary losses (or trained
 * on its digits only) is another quantity than the target cross-entropy of the others. */
static void key_name(char *b, size_t cap, const char *model, int which)
{
    ps_model_info info;
    const char *what = "";
    if (which == FIG_LOSS && ps_model_lookup(&info, model, NULL) == 0)
        what = info.loss == PS_LOSS_TARGET_AUX ? " (loss: target + aux)"
               : info.loss == PS_LOSS_DIGITS   ? " (loss: digits only)"
                                               : "";
    snprintf(b, cap, "%s%s", model, what);
}

/* Titles, axes and line styles of a figure. */
static void plot_header(FILE *g, int which, int phase)
{
    static const char *const titles[2][2] = {
        {"Training loss per epoch (geometric mean ×/÷ 1 geometric sd over runs)",
         "training loss (log scale)"},
        {"Test accuracy per epoch (mean ± 1 sd over seeds)", "test accuracy (%)"}};
    const char *title = titles[which][0], *ylabel = titles[which][1];
    if (which == FIG_ACCURACY && phase == PS_PHASE_SELECT) {
        title = "Validation accuracy per epoch (mean ± 1 sd, chosen grid points)";
        ylabel = "validation accuracy (%)";
    }
    fprintf(g, "set title \"%s\"\nset xlabel 'epoch'\nset ylabel '%s'\n", title, ylabel);
    if (which == FIG_LOSS)
        fprintf(g, "set logscale y\n");
    fprintf(g, "set key outside right top\nset grid\nset style fill transparent solid 0.15 "
               "noborder\n");
    static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                            "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                            "#bcbd22", "#17becf"}; /* matplotlib's tab10 */
    for (int i = 0; i < 64; i++)
        fprintf(g, "set linetype %d lc rgb '%s' dashtype %d\n", i + 1, palette[i % 10],
                1 + i / 10);
}

/* The plot command once per output: PNG, SVG, PDF (out[0..2]). */
static void plot_outputs(FILE *g, const char *const *names, int32_t nb, int which,
                         const char *const out[3])
{
    static const char *const terms[3] = {
        "pngcairo size 1100,650 font 'DejaVu Sans,11'",
        "svg size 1100,650 font 'DejaVu Sans,11'",
        "pdfcairo size 8in,4.7in font 'DejaVu Sans,10'"};
    for (int t = 0; t < 3; t++) {
        fprintf(g, "set terminal %s noenhanced\nset output '%s'\nplot ", terms[t], out[t]);
        for (int32_t b = 0; b < nb; b++) {
            char key[PS_NAME_MAX + 32];
            key_name(key, sizeof key, names[b], which);
            /* lt, not lc: the line's dash pattern is its linetype's too */
            fprintf(g, "$d%d using 1:3:4 with filledcurves lc %d notitle, "
                       "$d%d using 1:2 with lines lw 2 lt %d title '%s'%s",
                    (int)b, (int)b + 1, (int)b, (int)b + 1, key, b + 1 < nb ? ", " : "\n");
        }
        fprintf(g, "set output\n");
    }
}

/* The models' runs plotted: final-phase runs, or (without a final phase) the runs of each
 * model's chosen grid point in the select phase. Returns 1 when there is nothing to plot. */
static int plot_one(FILE *g, const ps_results *r, const char **models, int32_t nm, int which,
                    int phase, const char *const out[3])
{
    const float *curve = which == FIG_LOSS ? r->train_loss : r->eval_acc;
    int32_t nb = 0;
    const char *names[64];
    for (int32_t i = 0; i < nm && nb < 64; i++) {
        obs *o;
        int32_t n;
        int32_t grid = phase == PS_PHASE_FINAL ? -1 : study_chosen(r, models[i], SEL_ANY);
        if (study_gather(&o, &n, r, phase, models[i], grid, SEL_ANY))
            return PS_ENOMEM;
        if (n > 0) {
            curve_stats(r, curve, o, n, which, g, (int)nb);
            names[nb++] = models[i];
        }
        free(o);
    }
    if (nb == 0)
        return 1;
    plot_header(g, which, phase);
    plot_outputs(g, names, nb, which, out);
    return 0;
}

/* Runs gnuplot on script gp; checks that it wrote a non-empty first figure. */
static int run_gnuplot(const char *gp, const char *first, ps_err *err)
{
    char cmd[4200], msg[256] = "";
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
    FILE *p = popen(cmd, "r");
    if (!p)
        return ps_err_set(err, PS_EIO, "figures: cannot start gnuplot: %s", strerror(errno));
    size_t got = fread(msg, 1, sizeof msg - 1, p);
    msg[got] = 0;
    while (fgetc(p) != EOF) { /* drain */ }
    int st = pclose(p);
    for (char *q = msg; *q; q++)
        if (*q == '\n')
            *q = ' ';
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return ps_err_set(err, PS_EIO, "%s: gnuplot failed (exit %d: %.200s); is gnuplot with "
                          "the cairo terminals (pngcairo, pdfcairo) installed?", gp,
                          st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg);
    struct stat fig;
    int made = stat(first, &fig) == 0 && S_ISREG(fig.st_mode) && fig.st_size > 0;
    return made ? 0 : ps_err_set(err, PS_EIO, "%s: gnuplot wrote no figure", first);
}

/* One figure: DIR/<stem><file>.gp (kept beside the figures, so that users can restyle them),
 * then gnuplot on it. */
static int draw_one(const ps_results *r, const char **models, int32_t nm, int which, int phase,
                    const char *dir, const char *stem, ps_err *err)
{
    static const char *const files[2] = {"fig1_train_loss", "fig2_accuracy"};
    static const char *const exts[3] = {"png", "svg", "pdf"};
    char paths[3][4096], gp[4096];
    const char *out[3];
    for (int t = 0; t < 3; t++) {
        snprintf(paths[t], sizeof paths[t], "%s/%s%s.%s", dir, stem, files[which], exts[t]);
        remove(paths[t]);
        out[t] = paths[t];
    }
    if (strchr(paths[0], '\''))
        return ps_err_set(err, PS_EINVAL, "%s: a quote in the output path", dir);
    snprintf(gp, sizeof gp, "%s/%s%s.gp", dir, stem, files[which]);
    FILE *g = NULL;
    int rc = ps_path_fopen(&g, gp, O_WRONLY | O_CREAT | O_TRUNC, "a gnuplot script", err);
    if (rc)
        return rc;
    int pr = plot_one(g, r, models, nm, which, phase, out);
    if (fclose(g) != 0 && pr == 0)
        return ps_err_set(err, PS_EIO, "%s: write failed (disk full?)", gp);
    if (pr == PS_ENOMEM)
        return ps_err_set(err, PS_ENOMEM, "figures: out of memory");
    if (pr > 0) { /* nothing to plot */
        remove(gp);
        return 0;
    }
    return run_gnuplot(gp, out[0], err);
}

int ps_report_figures(const ps_results *r, const char *dir, const char *stem, ps_err *err)
{
    const char **models;
    int32_t nm;
    if (study_models(&models, &nm, r))
        return ps_err_set(err, PS_ENOMEM, "figures: out of memory");
    int phase = study_count(r, PS_PHASE_FINAL, NULL, PS_TASK_DONE) > 0 ? PS_PHASE_FINAL
                                                                      : PS_PHASE_SELECT;
    int rc = 0;
    for (int which = FIG_LOSS; which <= FIG_ACCURACY && !rc; which++)
        rc = draw_one(r, models, nm, which, phase, dir, stem, err);
    free(models);
    return rc;
}
