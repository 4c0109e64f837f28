/* pairsweep — the table of the hyper-parameters (hparams.h), generated from PS_HPARAMS, and
 * access to them in a ps_train_config by axis. */
#include "pairsweep/hparams.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pairsweep/train.h"

#define ROW(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    [PS_AXIS_##ID] = {key, #field, PS_HP_##kind, def, lo, hi, lo_open, label, help},
static const ps_hparam table[PS_N_AXES] = {PS_HPARAMS(ROW)};
#undef ROW

const ps_hparam *ps_hparam_info(ps_axis a)
{
    return ((int)a >= 0 && a < PS_N_AXES) ? &table[a] : NULL;
}

const char *ps_axis_name(ps_axis a)
{
    return ((int)a >= 0 && a < PS_N_AXES) ? table[a].key : "?";
}

int ps_hparam_find(const char *key)
{
    for (int a = 0; a < PS_N_AXES; a++)
        if (!strcmp(table[a].key, key))
            return a;
    return -1;
}

double ps_hparam_get(const ps_train_config *cfg, ps_axis a)
{
    switch (a) {
#define GET(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    case PS_AXIS_##ID: return (double)cfg->field;
    PS_HPARAMS(GET)
#undef GET
    default: return NAN;
    }
}

void ps_hparam_set(ps_train_config *cfg, ps_axis a, double v)
{
    switch (a) {
#define SET(ID, field, key, kind, def, lo, lo_open, hi, label, help) \
    case PS_AXIS_##ID: cfg->field = (PS_HP_CTYPE_##kind)v; break;
    PS_HPARAMS(SET)
#undef SET
    default: break;
    }
}

int ps_hparam_in_range(ps_axis a, double v)
{
    const ps_hparam *h = ps_hparam_info(a);
    if (!h || !isfinite(v))
        return 0;
    if (h->kind == PS_HP_SWITCH)
        return v == 0 || v == 1;
    if (h->kind == PS_HP_INT && v != floor(v))
        return 0;
    return (h->lo_open ? v > h->lo : v >= h->lo) && v <= h->hi;
}

int ps_hparam_range(char *buf, size_t cap, ps_axis a)
{
    const ps_hparam *h = ps_hparam_info(a);
    if (!h)
        return snprintf(buf, cap, "?");
    switch (h->kind) {
    case PS_HP_INT: return snprintf(buf, cap, "%ld..%ld", (long)h->lo, (long)h->hi);
    case PS_HP_SWITCH: return snprintf(buf, cap, "0 or 1");
    default: return snprintf(buf, cap, "%s%g, %g]", h->lo_open ? "(" : "[", h->lo, h->hi);
    }
}

int ps_hparams_task_text(char *buf, size_t cap, const ps_train_config *cfg)
{
    ps_train_config d;
    ps_train_config_default(&d);
    size_t n = 0;
    if (cap > 0)
        buf[0] = '\0';
    for (int a = PS_N_AXES_FIXED; a < PS_N_AXES; a++) {
        double v = ps_hparam_get(cfg, (ps_axis)a);
        if (v == ps_hparam_get(&d, (ps_axis)a))
            continue;
        /* %.9g: every float reads back as itself */
        int m = snprintf(buf + n, cap - n, "%s=%.9g\n", table[a].key, v);
        if (m < 0 || (size_t)m >= cap - n)
            return -1;
        n += (size_t)m;
    }
    return (int)n;
}
