/* pairsweep models: the zoo — name, architecture, parameter count, FLOPs per sample. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/models.h"

static void models_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep models [--report 000|002] [--bn on|off]\n"
            "\n"
            "Lists every model of the zoo: its name, the report it comes from, its parameter\n"
            "count, FLOPs per training sample (forward + backward, 2 per multiply-add of\n"
            "convolutions and linear layers) and a one-line architecture.\n"
            "\n"
            "  --report R    only the models of report 000 or 002\n"
            "  --bn on|off   BatchNorm on or off where a model has optional BatchNorm\n"
            "                (default: each model's own default)\n"
            "  -h, --help    this text\n");
}

static const char *loss_name(ps_loss_kind k)
{
    return k == PS_LOSS_TARGET ? "target" : k == PS_LOSS_TARGET_AUX ? "target+aux" : "digits";
}

int ps_cmd_models(int argc, char **argv)
{
    static const struct option opts[] = {
        {"report", required_argument, NULL, 'r'},
        {"bn", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *report = NULL;
    int use_bn = -1, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (strcmp(optarg, "000") && strcmp(optarg, "002")) {
                fprintf(stderr, "pairsweep models: --report: expected 000 or 002, got '%s'\n",
                        optarg);
                return PS_EXIT_USAGE;
            }
            report = optarg;
            break;
        case 'b':
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                fprintf(stderr, "pairsweep models: --bn: expected on or off, got '%s'\n", optarg);
                return PS_EXIT_USAGE;
            }
            use_bn = !strcmp(optarg, "on");
            break;
        case 'h': models_usage(stdout); return PS_EXIT_OK;
        default:
            fprintf(stderr, "pairsweep models: unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pairsweep models: unexpected argument '%s'\n", argv[optind]);
        return PS_EXIT_USAGE;
    }
    printf("%-15s %-6s %8s %12s %-10s %s\n", "model", "report", "params", "MFLOP/sample",
           "loss", "architecture");
    for (int32_t i = 0; i < ps_models_count(); i++) {
        ps_model_info info;
        ps_net *net;
        ps_err err;
        ps_model_get(&info, i);
        if (report && strcmp(report, info.report))
            continue;
        int rc = ps_model_build(&net, &info, use_bn, &err);
        if (rc)
            return ps_cli_fail("models", rc, &err);
        printf("%-15s %-6s %8zu %12.3f %-10s %s\n", info.name, info.report,
               ps_net_n_params(net), ps_net_flops_train(net) / 1e6, loss_name(info.loss),
               info.arch);
        ps_net_free(net);
    }
    return PS_EXIT_OK;
}
