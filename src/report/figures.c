/* pairsweep report — Fig. 1 and Fig. 2 of report 000, drawn by gnuplot (driven through a
 * pipe: the data go inline as datablocks, gnuplot's pngcairo and svg terminals draw). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "study.h"

/* Per epoch of a model's runs: mean and sd over the runs with a finite value. */
static void curve_stats(const ps_results *r, const float *curve, const obs *o, int32_t n,
                        double scale, FILE *g, int block)
{
    fprintf(g, "$d%d << EOD\n", block);
    for (int32_t e = 0; e < r->epochs_max; e++) {
        double s = 0, s2 = 0;
        int32_t c = 0;
        for (int32_t i = 0; i < n; i++) {
            double v = curve[(size_t)o[i].row * (size_t)r->epochs_max + (size_t)e];
            if (isfinite(v)) {
                s += v * scale;
                s2 += v * v * scale * scale;
                c++;
            }
        }
        if (c == 0)
            continue;
        double m = s / c, sd = c > 1 ? sqrt(fmax(0, (s2 - c * m * m) / (c - 1))) : 0;
        fprintf(g, "%d %.8g %.8g %.8g\n", (int)e + 1, m, m - sd, m + sd);
    }
    fprintf(g, "EOD\n");
}

/* The models' runs plotted: final-phase runs, or (without a final phase) the runs of each
 * model's chosen grid point in the select phase. */
static int plot_one(FILE *g, const ps_results *r, const char **models, int32_t nm, int which,
                    int phase, const char *png, const char *svg)
{
    static const char *const titles[2][2] = {
        {"Training loss per epoch (mean ± 1 sd over runs)", "training loss"},
        {"Test accuracy per epoch (mean ± 1 sd over seeds)", "test accuracy (%)"}};
    const float *curve = which == 0 ? r->train_loss : r->eval_acc;
    double scale = which == 0 ? 1.0 : 100.0;
    int32_t nb = 0;
    const char *names[64];
    for (int32_t i = 0; i < nm && nb < 64; i++) {
        obs *o;
        int32_t n;
        int32_t grid = phase == PS_PHASE_FINAL ? -1 : study_chosen(r, models[i], SEL_ANY);
        if (study_gather(&o, &n, r, phase, models[i], grid, SEL_ANY))
            return PS_ENOMEM;
        if (n > 0) {
            curve_stats(r, curve, o, n, scale, g, (int)nb);
            names[nb++] = models[i];
        }
        free(o);
    }
    if (nb == 0)
        return 1;
    const char *title = titles[which][0], *ylabel = titles[which][1];
    if (which == 1 && phase == PS_PHASE_SELECT) {
        title = "Validation accuracy per epoch (mean ± 1 sd, chosen grid points)";
        ylabel = "validation accuracy (%)";
    }
    fprintf(g, "set title \"%s\"\nset xlabel 'epoch'\nset ylabel '%s'\n", title, ylabel);
    fprintf(g, "set key outside right top\nset grid\nset style fill transparent solid 0.15 "
               "noborder\n");
    static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                            "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                            "#bcbd22", "#17becf"}; /* matplotlib's tab10 */
    for (int i = 0; i < 64; i++)
        fprintf(g, "set linetype %d lc rgb '%s' dashtype %d\n", i + 1, palette[i % 10],
                1 + i / 10);
    for (int t = 0; t < 2; t++) {
        if (t == 0)
            fprintf(g, "set terminal pngcairo size 1100,650 font 'DejaVu Sans,11' noenhanced\n"
                       "set output '%s'\n", png);
        else
            fprintf(g, "set terminal svg size 1100,650 font 'DejaVu Sans,11' noenhanced\n"
                       "set output '%s'\n", svg);
        fprintf(g, "plot ");
        for (int32_t b = 0; b < nb; b++)
            fprintf(g, "$d%d using 1:3:4 with filledcurves lc %d notitle, "
                       "$d%d using 1:2 with lines lw 2 lc %d title '%s'%s",
                    (int)b, (int)b + 1, (int)b, (int)b + 1, names[b], b + 1 < nb ? ", " : "\n");
        fprintf(g, "set output\n");
    }
    return 0;
}

int ps_report_figures(const ps_results *r, const char *dir, const char *stem, ps_err *err)
{
    const char **models;
    int32_t nm;
    if (study_models(&models, &nm, r))
        return ps_err_set(err, PS_ENOMEM, "figures: out of memory");
    int phase = study_count(r, PS_PHASE_FINAL, NULL, PS_TASK_DONE) > 0 ? PS_PHASE_FINAL
                                                                      : PS_PHASE_SELECT;
    static const char *const files[2] = {"fig1_train_loss", "fig2_accuracy"};
    int rc = 0;
    for (int which = 0; which < 2 && !rc; which++) {
        char png[4096], svg[4096];
        snprintf(png, sizeof png, "%s/%s%s.png", dir, stem, files[which]);
        snprintf(svg, sizeof svg, "%s/%s%s.svg", dir, stem, files[which]);
        if (strchr(png, '\'')) {
            rc = ps_err_set(err, PS_EINVAL, "%s: a quote in the output path", dir);
            break;
        }
        remove(png);
        remove(svg);
        /* The script is kept beside the figures, so that users can restyle them. */
        char gp[4096];
        snprintf(gp, sizeof gp, "%s/%s%s.gp", dir, stem, files[which]);
        FILE *g = fopen(gp, "w");
        if (!g) {
            rc = ps_err_set(err, PS_EIO, "%s: %s", gp, strerror(errno));
            break;
        }
        int pr = plot_one(g, r, models, nm, which, phase, png, svg);
        if (fclose(g) != 0 && pr == 0)
            pr = ps_err_set(err, PS_EIO, "%s: write failed (disk full?)", gp);
        if (pr == PS_ENOMEM) {
            rc = ps_err_set(err, PS_ENOMEM, "figures: out of memory");
            break;
        }
        if (pr < 0) {
            rc = pr;
            break;
        }
        if (pr > 0) { /* nothing to plot */
            remove(gp);
            continue;
        }
        char cmd[4200], msg[256] = "";
        snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", gp);
        FILE *p = popen(cmd, "r");
        if (!p) {
            rc = ps_err_set(err, PS_EIO, "figures: cannot start gnuplot: %s", strerror(errno));
            break;
        }
        size_t got = fread(msg, 1, sizeof msg - 1, p);
        msg[got] = 0;
        while (fgetc(p) != EOF) { /* drain */ }
        int st = pclose(p);
        for (char *q = msg; *q; q++)
            if (*q == '\n')
                *q = ' ';
        if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = ps_err_set(err, PS_EIO, "%s: gnuplot failed (exit %d: %.200s); is gnuplot with "
                            "the pngcairo terminal installed?", gp,
                            st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg);
        else {
            FILE *f = fopen(png, "rb");
            long size = 0;
            if (f && fseek(f, 0, SEEK_END) == 0)
                size = ftell(f);
            if (f)
                fclose(f);
            if (size <= 0)
                rc = ps_err_set(err, PS_EIO, "%s: gnuplot wrote no figure", png);
        }
    }
    free(models);
    return rc;
}
