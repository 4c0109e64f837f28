/* pairsweep report — a table of strings and its four renderings (internal). */
#ifndef PAIRSWEEP_REPORT_TABLE_H
#define PAIRSWEEP_REPORT_TABLE_H

#include <stdio.h>

#include "pairsweep/report.h"

typedef struct rtable {
    char name[64];             /* file stem for --out: "table2", "effects", ... */
    char title[256];
    int ncols, nrows, cap;
    char **head;               /* (ncols) */
    char **cells;              /* (nrows × ncols) */
    char *notes;               /* lines printed under the table (may be NULL) */
    int oom;
} rtable;

/* A table with the given columns (a NULL-terminated list). */
void rt_init(rtable *t, const char *name, const char *title, const char *const *cols);
/* Appends a row; cells are taken from a NULL-free array of ncols strings. */
void rt_row(rtable *t, const char *const *cells);
/* Appends a printf-formatted line to the notes. */
void rt_note(rtable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_free(rtable *t);
/* Renders the table (title, header, rows, notes) in a format. */
void rt_print(FILE *out, const rtable *t, ps_report_format fmt);
/* The file extension of a format ("txt", "md", "csv", "tex"). */
const char *rt_ext(ps_report_format fmt);

/* Writes v with prec decimals into b (cap bytes); NaN gives an empty cell. */
void fmt_num(char *b, size_t cap, double v, int prec);
/* Writes "m ± sd" with prec decimals ("m" when sd is NaN, "—" when m is NaN). */
void fmt_pm(char *b, size_t cap, double m, double sd, int prec);
/* Writes a p-value: machine (CSV) "%.10g", NaN empty; else 4 decimals, "< 0.0001" or "—". */
void fmt_p(char *b, size_t cap, double p, int machine);

#endif
