/* pairsweep report — tables of strings rendered as text, Markdown, CSV or LaTeX. */
#define _POSIX_C_SOURCE 200809L
#include "table.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void rt_init(rtable *t, const char *name, const char *title, const char *const *cols)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->title, sizeof t->title, "%s", title);
    while (cols[t->ncols])
        t->ncols++;
    t->head = calloc((size_t)t->ncols, sizeof *t->head);
    if (!t->head) {
        t->oom = 1;
        return;
    }
    for (int c = 0; c < t->ncols; c++)
        if (!(t->head[c] = strdup(cols[c])))
            t->oom = 1;
}

void rt_row(rtable *t, const char *const *cells)
{
    if (t->oom)
        return;
    if (t->nrows == t->cap) {
        int c = t->cap ? 2 * t->cap : 16;
        char **q = realloc(t->cells, (size_t)c * (size_t)t->ncols * sizeof *q);
        if (!q) {
            t->oom = 1;
            return;
        }
        t->cells = q;
        t->cap = c;
    }
    for (int c = 0; c < t->ncols; c++) {
        char *s = strdup(cells[c] ? cells[c] : "");
        if (!s)
            t->oom = 1;
        t->cells[(size_t)t->nrows * (size_t)t->ncols + (size_t)c] = s;
    }
    t->nrows++;
}

void rt_note(rtable *t, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t old = t->notes ? strlen(t->notes) : 0, n = strlen(line);
    char *q = realloc(t->notes, old + n + 2);
    if (!q) {
        t->oom = 1;
        return;
    }
    memcpy(q + old, line, n);
    q[old + n] = '\n';
    q[old + n + 1] = 0;
    t->notes = q;
}

void rt_free(rtable *t)
{
    for (int c = 0; t->head && c < t->ncols; c++)
        free(t->head[c]);
    for (size_t i = 0; i < (size_t)t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->head);
    free(t->cells);
    free(t->notes);
    memset(t, 0, sizeof *t);
}

static const char *cell(const rtable *t, int r, int c)
{
    return t->cells[(size_t)r * (size_t)t->ncols + (size_t)c];
}

/* Display width of a UTF-8 string (code points; "±" and "−" count one). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void print_text(FILE *out, const rtable *t)
{
    int w[64] = {0};
    int nc = t->ncols < 64 ? t->ncols : 64;
    for (int c = 0; c < nc; c++) {
        w[c] = width(t->head[c]);
        for (int r = 0; r < t->nrows; r++)
            w[c] = width(cell(t, r, c)) > w[c] ? width(cell(t, r, c)) : w[c];
    }
    fprintf(out, "%s\n", t->title);
    for (int r = -1; r < t->nrows; r++) {
        for (int c = 0; c < nc; c++) {
            const char *s = r < 0 ? t->head[c] : cell(t, r, c);
            fprintf(out, "%s%s%*s", c ? "  " : "  ", s, c + 1 < nc ? w[c] - width(s) : 0, "");
        }
        fputc('\n', out);
        if (r < 0) {
            int tot = 0;
            for (int c = 0; c < nc; c++)
                tot += w[c] + 2;
            fputs("  ", out);
            for (int i = 2; i < tot; i++)
                fputc('-', out);
            fputc('\n', out);
        }
    }
}

static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static void print_markdown(FILE *out, const rtable *t)
{
    fprintf(out, "### %s\n\n", t->title);
    for (int r = -1; r < t->nrows; r++) {
        fputs("|", out);
        for (int c = 0; c < t->ncols; c++) {
            fputc(' ', out);
            md_cell(out, r < 0 ? t->head[c] : cell(t, r, c));
            fputs(" |", out);
        }
        fputc('\n', out);
        if (r < 0) {
            fputs("|", out);
            for (int c = 0; c < t->ncols; c++)
                fputs(" --- |", out);
            fputc('\n', out);
        }
    }
}

static void csv_cell(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void print_csv(FILE *out, const rtable *t)
{
    for (int r = -1; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                fputc(',', out);
            csv_cell(out, r < 0 ? t->head[c] : cell(t, r, c));
        }
        fputc('\n', out);
    }
}

/* LaTeX for the characters the tables use: the ten special ones escaped, < > | (which the
 * default OT1 font encoding prints as other glyphs) and the non-ASCII ones as math or dashes,
 * so that a table compiles with no package but booktabs. */
static const char *const tex_map[][2] = {
    {"\\", "\\textbackslash{}"}, {"{", "\\{"}, {"}", "\\}"}, {"_", "\\_"}, {"%", "\\%"},
    {"&", "\\&"}, {"#", "\\#"}, {"$", "\\$"}, {"~", "\\textasciitilde{}"},
    {"^", "\\textasciicircum{}"}, {"<=", "$\\leq$"}, {">=", "$\\geq$"}, {"<", "$<$"},
    {">", "$>$"}, {"|", "$|$"},
    {"±", "$\\pm$"}, {"−", "$-$"}, {"×", "$\\times$"}, {"→", "$\\to$"}, {"≤", "$\\leq$"},
    {"≥", "$\\geq$"}, {"∪", "$\\cup$"}, {"†", "$^{\\dagger}$"}, {"—", "---"}, {"–", "--"},
};

static void tex_cell(FILE *out, const char *s)
{
    for (const char *start = s; *s;) {
        if (*s == '-' && isdigit((unsigned char)s[1]) &&
            (s == start || !isalnum((unsigned char)s[-1]))) { /* a negative number: minus */
            fputs("$-$", out);
            s++;
            continue;
        }
        size_t i = 0, n = sizeof tex_map / sizeof tex_map[0];
        while (i < n && strncmp(s, tex_map[i][0], strlen(tex_map[i][0])))
            i++;
        if (i < n) {
            fputs(tex_map[i][1], out);
            s += strlen(tex_map[i][0]);
        } else {
            fputc(*s++, out);
        }
    }
}

/* A cell that reads as a number, an interval or a missing value (right-aligned). */
static int numeric_cell(const char *s)
{
    return !*s || strchr("0123456789+-.[<", *s) || !strncmp(s, "−", strlen("−")) ||
           !strcmp(s, "—");
}

/* booktabs rules; numeric columns right-aligned, text columns left; the notes under the
 * table as its footnotes. */
static void print_latex(FILE *out, const rtable *t)
{
    fputs("% needs \\usepackage{booktabs}\n\\begin{table}[ht]\n\\centering\n\\caption{", out);
    tex_cell(out, t->title);
    fputs("}\n\\begin{tabular}{", out);
    for (int c = 0; c < t->ncols; c++) {
        int num = t->nrows > 0 && c > 0;
        for (int r = 0; num && r < t->nrows; r++)
            num = numeric_cell(cell(t, r, c));
        fputc(num ? 'r' : 'l', out);
    }
    fputs("}\n\\toprule\n", out);
    for (int r = -1; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                fputs(" & ", out);
            tex_cell(out, r < 0 ? t->head[c] : cell(t, r, c));
        }
        fputs(" \\\\\n", out);
        if (r < 0)
            fputs("\\midrule\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    if (t->notes) {
        fputs("\\par\\smallskip\n{\\footnotesize\\raggedright\n", out);
        for (const char *s = t->notes; *s;) {
            const char *e = strchr(s, '\n');
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)(e - s), s);
            tex_cell(out, line);
            fputs("\\par\n", out);
            s = e + 1;
        }
        fputs("}\n", out);
    }
    fputs("\\end{table}\n", out);
}

void rt_print(FILE *out, const rtable *t, ps_report_format fmt)
{
    switch (fmt) {
    case PS_REPORT_TEXT: print_text(out, t); break;
    case PS_REPORT_MARKDOWN: print_markdown(out, t); break;
    case PS_REPORT_CSV: print_csv(out, t); break;
    case PS_REPORT_LATEX: print_latex(out, t); break;
    }
    if (t->notes && fmt != PS_REPORT_LATEX) { /* LaTeX: inside the table */
        if (fmt == PS_REPORT_CSV) {
            for (const char *s = t->notes; *s;) {
                const char *e = strchr(s, '\n');
                fprintf(out, "# %.*s\n", (int)(e - s), s);
                s = e + 1;
            }
        } else {
            fprintf(out, "%s%s", fmt == PS_REPORT_MARKDOWN ? "\n" : "", t->notes);
        }
    }
    fputc('\n', out);
}

const char *rt_ext(ps_report_format fmt)
{
    static const char *const e[] = {"txt", "md", "csv", "tex"};
    return e[fmt];
}

/* ---- cells: numbers ---------------------------------------------------------------------- */

void fmt_num(char *b, size_t cap, double v, int prec)
{
    if (isnan(v))
        snprintf(b, cap, "%s", "");
    else
        snprintf(b, cap, "%.*f", prec, v);
}

void fmt_pm(char *b, size_t cap, double m, double sd, int prec)
{
    if (isnan(m))
        snprintf(b, cap, "—");
    else if (isnan(sd))
        snprintf(b, cap, "%.*f", prec, m);
    else
        snprintf(b, cap, "%.*f ± %.*f", prec, m, prec, sd);
}

void fmt_p(char *b, size_t cap, double p, int machine)
{
    if (isnan(p))
        snprintf(b, cap, machine ? "" : "—");
    else if (machine)
        snprintf(b, cap, "%.10g", p);
    else if (p < 0.0001)
        snprintf(b, cap, "< 0.0001");
    else
        snprintf(b, cap, "%.4f", p);
}
