/* The scheduler's progress, ETA and status (include/pairsweep/sched.h). */
#include <string.h>

#include "sched_internal.h"

/* Final tasks: as planned for a selected group, as expected for the others. */
static int32_t final_total(const ps_sched *s)
{
    int32_t n = 0;
    for (int32_t g = 0; g < s->job->n_groups; g++)
        if (s->mask[g])
            n += s->final_planned[g] >= 0 ? s->final_planned[g] : ps_plan_group_finals(s->job, g);
    return n;
}

/* Estimated FLOPs left at time now: the queues, the running tasks' remaining part, the raced
 * rounds not queued yet (surviving points only: pruned tasks never run), the final phases not
 * planned yet. */
static double flops_left(const ps_sched *s, double now)
{
    double left = ps_queue_cost(&s->q) + ps_queue_cost(&s->q_low) + ps__race_flops_ahead(s);
    double rate = ps__sched_rate(s);
    for (int32_t w = 0; w < s->workers; w++)
        if (s->w[w].task >= 0) {
            double rest = s->w[w].cost - (now - s->w[w].start) * rate;
            left += rest > 0 ? rest : 0;
        }
    for (int32_t g = 0; g < s->job->n_groups; g++)
        if (s->mask[g] && s->final_planned[g] < 0)
            left += s->final_estimate[g];
    return left;
}

static void fill_best(const ps_sched *s, ps_sweep_best *best)
{
    const ps_job *job = s->job;
    for (int32_t i = 0; i < job->n_models; i++) {
        ps_sweep_best *b = &best[i];
        int32_t grp = job->models[i].group_index, n;
        double sd;
        b->model = job->models[i].name;
        b->grid = -1;
        b->mean = 0;
        if (s->mask[grp])
            (void)ps_selection_best(&s->sel, i, &b->grid, &b->mean, &sd, &n);
        b->selected = s->mask[grp] && ps_selection_group_complete(&s->sel, grp);
    }
}

void ps_sched_progress(const ps_sched *s, double now, ps_sweep_progress *p, ps_sweep_best *best)
{
    fill_best(s, best);
    memset(p, 0, sizeof *p);
    p->done[0] = s->finished[0];
    p->done[1] = s->finished[1];
    p->total[0] = s->n_select;
    p->total[1] = final_total(s);
    p->done[2] = s->audit_finished;
    p->total[2] = s->audit_planned;
    p->running = ps__sched_n_running(s);
    p->n_models = s->job->n_models;
    p->best = best;
    p->elapsed = now - s->start;
    p->eta = s->wall_done > 0 ? flops_left(s, now) / (ps__sched_rate(s) * s->workers) : -1;
}

void ps_sched_get_status(const ps_sched *s, ps_sched_status *st)
{
    memset(st, 0, sizeof *st);
    int32_t fin = final_total(s), groups_done = 1;
    for (int32_t g = 0; g < s->job->n_groups; g++)
        if (s->mask[g] && !ps_selection_group_complete(&s->sel, g))
            groups_done = 0;
    st->running = ps__sched_n_running(s);
    st->queued = s->q.n + s->q_low.n;
    st->complete = s->started && groups_done && st->queued == 0 && st->running == 0 &&
                   s->finished[0] >= s->n_select && s->finished[1] >= fin &&
                   s->audit_finished >= s->audit_planned;
    st->stopping = s->stopping;
    st->stopped = s->stopping && !s->deadline_hit && !s->halted;
    st->deadline_hit = s->deadline_hit;
    st->halted = s->halted;
    st->planned = s->n_select + fin + s->audit_planned;
    st->pruned = s->pruned;
    st->audit_planned = s->audit_planned;
    st->audit_finished = s->audit_finished;
    st->finished[0] = s->finished[0];
    st->finished[1] = s->finished[1];
    st->abandoned = s->abandoned;
    st->retired = s->retired;
    st->rate = s->wall_done > 0 ? s->flops_done / s->wall_done : 0;
}
