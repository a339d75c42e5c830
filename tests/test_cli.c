/* End-to-end: the README's C example and the CLI, run as a user would. */
#include "harness.h"

TEST(readme_example_runs) {
    const char *exe = getenv("EDL_README_EXAMPLE");
    if (!exe) exe = "build/readme_example";
    char out[1024];
    CHECK(harness_run(exe, out, sizeof out) == 0);
    CHECK(strstr(out, "1.5 2.5 / 7.5 8.5") != NULL);
    CHECK(strstr(out, "index 4 at position 0 is out of range [0, 4)") != NULL);
}

TEST(cli_version_and_usage) {
    const char *cli = getenv("EDL_CLI");
    if (!cli) cli = "build/edl";
    char cmd[512], out[1024];
    snprintf(cmd, sizeof cmd, "%s version", cli);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, EDL_VERSION_STRING) != NULL);
    snprintf(cmd, sizeof cmd, "%s no-such-command 2>&1", cli);
    CHECK(harness_run(cmd, out, sizeof out) == 2);
    CHECK(strstr(out, "unknown command 'no-such-command'") != NULL);
}

TEST(cli_summary) {
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "%s summary 'embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dense(10)'",
             harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "320000") && strstr(out, "8320") && strstr(out, "1290"));
    CHECK(strstr(out, "Total params: 329610") != NULL);
    snprintf(cmd, sizeof cmd, "%s summary 'input(3) dense(2,act=gelu)' 2>&1", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "spec:22: unknown act 'gelu'") != NULL);
}

/* Train from a text file, save, evaluate, summarise the saved file; and the errors on the way. */
TEST(cli_train_eval) {
    char dir[] = "/tmp/edl-cli-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char data[128], model[128], cmd[1024], out[4096];
    snprintf(data, sizeof data, "%s/train.txt", dir);
    snprintf(model, sizeof model, "%s/m", dir);
    FILE *f = fopen(data, "w");
    edl_rng rng;
    edl_rng_seed(&rng, 1);
    fprintf(f, "# label then word ids\n");
    for (int e = 0; e < 400; e++) {
        int c = (int)edl_rng_below(&rng, 2);
        fprintf(f, "%d", c);
        for (int k = 0; k < 5; k++) fprintf(f, " %d", c * 10 + (int)edl_rng_below(&rng, 10));
        fprintf(f, e % 50 ? "\n" : "\r\n");
    }
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s train -spec 'embedding_bag(rows=20,dim=4) dense(2)' -input %s -output %s -epoch 5 "
             "--lr=0.05 -validSplit 0.1 -seed 3 2>&1",
             harness_cli(), data, model);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "epoch 5/5") && strstr(out, "saved "));
    snprintf(cmd, sizeof cmd, "%s eval %s.safetensors %s", harness_cli(), model, data);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "N\t400\n") != NULL);
    const char *acc = strstr(out, "accuracy\t");
    CHECK(acc && atof(acc + 9) > 0.95);
    snprintf(cmd, sizeof cmd, "%s summary %s.safetensors", harness_cli(), model);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "Total params: 90") != NULL);
    /* errors: a bad flag, a bad value, a malformed line naming file:line:column */
    snprintf(cmd, sizeof cmd, "%s train -spec 'input(2) dense(2)' -input %s -output %s -colour red 2>&1", harness_cli(),
             data, model);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "unknown flag '-colour'"));
    snprintf(cmd, sizeof cmd, "%s train -spec 'input(2) dense(2)' -input %s -output %s -epoch -3 2>&1", harness_cli(),
             data, model);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "bad value '-3' for -epoch"));
    f = fopen(data, "a");
    fprintf(f, "1 4 5 x7\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s eval %s.safetensors %s 2>&1", harness_cli(), model, data);
    CHECK(harness_run(cmd, out, sizeof out) == 1);
    char want[200];
    snprintf(want, sizeof want, "%s:402:7: not an integer: 'x7'", data);
    if (!strstr(out, want)) FAILF("eval printed \"%s\", want \"%s\"", out, want);
    /* a label the model does not have: the message names the file and its line */
    f = fopen(data, "w");
    fprintf(f, "# comment\n\n0 1 2\n7 3 4\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s eval %s.safetensors %s 2>&1", harness_cli(), model, data);
    CHECK(harness_run(cmd, out, sizeof out) == 1);
    snprintf(want, sizeof want, "%s:4: label 7 is out of range [0, 2)", data);
    if (!strstr(out, want)) FAILF("eval printed \"%s\", want \"%s\"", out, want);
    harness_remove_dir(dir);
}

/* fastText's commands on the bundled data, and their output formats. */
TEST(cli_fasttext_commands) {
    char dir[] = "/tmp/edl-ft-XXXXXX", cmd[1024], out[8192];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(cmd, sizeof cmd,
             "%s supervised -input data/spam.train -output %s/m -dim 20 -epoch 10 -lr 0.5 -thread 1 -verbose 0 2>&1",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    snprintf(cmd, sizeof cmd, "%s test %s/m.safetensors data/spam.test", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    double p = 0, r = 0;
    int n = 0;
    CHECK(sscanf(out, "N\t%d\nP@1\t%lf\nR@1\t%lf\n", &n, &p, &r) == 3);
    CHECK(n == 1209 && p > 0.93 && p == r); /* 0.96 with these flags here */
    snprintf(cmd, sizeof cmd, "%s test-label %s/m.safetensors data/spam.test 1 0.5", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "F1-Score : 0.") && strstr(out, "  Precision : 0.") && strstr(out, "  Recall : 0."));
    CHECK(strstr(out, "   __label__ham\n") && strstr(out, "   __label__spam\n") && strstr(out, "\nN\t1209\nP@1\t"));
    snprintf(cmd, sizeof cmd,
             "printf 'free money click now\\nmeeting notes attached\\n\\n' | %s predict-prob %s/m.safetensors - 2",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    char l1[64], l2[64];
    double p1, p2;
    CHECK(sscanf(out, "%63s %lf %63s %lf", l1, &p1, l2, &p2) == 4);
    CHECK(!strncmp(l1, "__label__", 9) && p1 >= p2 && fabs(p1 + p2 - 1) < 1e-4);
    snprintf(cmd, sizeof cmd, "printf 'free money\\n' | %s predict %s/m.safetensors -", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "__label__", 9) && strchr(out, ' ') == NULL);
    snprintf(cmd, sizeof cmd, "echo 'hello world' | %s print-sentence-vectors %s/m.safetensors", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    int values = 0;
    for (char *q = out; *q; q++) values += *q == ' ';
    CHECK(values == 20);
    snprintf(cmd, sizeof cmd, "%s summary %s/m.safetensors", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "EmbeddingBag") && strstr(out, "(None, 2)"));
    /* errors: not a classifier, a bad k, an unknown loss */
    snprintf(cmd, sizeof cmd, "%s test data/spam.test data/spam.test 2>&1", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "data/spam.test"));
    snprintf(cmd, sizeof cmd, "%s predict %s/m.safetensors - zero 2>&1 </dev/null", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "k 'zero'"));
    snprintf(cmd, sizeof cmd, "%s supervised -input data/spam.train -output %s/x -loss hinge 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "-loss 'hinge'"));
    harness_remove_dir(dir);
}

/* edl bench: the equivalence columns, the CSV headers, the chart. */
TEST(cli_bench_onehot_lookup_kernels) {
    char cmd[512], out[8192], svg_path[96];
    harness_tmp_file(svg_path, sizeof svg_path, "onehot.svg");
    snprintf(cmd, sizeof cmd, "%s bench onehot --csv --max-rows 1000 --reps 1 --svg %s 2>/dev/null", harness_cli(),
             svg_path);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    const char *header =
        "rows,dim,batch,max_abs_diff_out,max_abs_diff_grad,embedding_fwd_s,onehot_fwd_s,embedding_fwdbwd_s,"
        "onehot_fwdbwd_s,index_bytes,onehot_bytes,embedding_params,dense_params\n";
    CHECK(!strncmp(out, header, strlen(header)));
    char *line = strchr(out, '\n');
    int rows_seen = 0;
    while (line && line[1]) {
        line++;
        unsigned long rows, dim, batch, ib, ob, ep, dp;
        double dout, dgrad, t1, t2, t3, t4;
        if (sscanf(line, "%lu,%lu,%lu,%lf,%lf,%lf,%lf,%lf,%lf,%lu,%lu,%lu,%lu", &rows, &dim, &batch, &dout, &dgrad, &t1,
                   &t2, &t3, &t4, &ib, &ob, &ep, &dp) == 13) {
            rows_seen++;
            CHECK(dim == 64 && batch == 1024 && dout == 0.0 && dgrad < 1e-5); /* the same numbers both ways */
            CHECK(ib == 8192 && ob == 1024 * rows * 4 && ep == rows * 64 && dp == rows * 64);
            CHECK(t1 > 0 && t2 > 0 && t3 > 0 && t4 > 0);
        }
        line = strchr(line, '\n');
    }
    CHECK(rows_seen == 2);
    size_t n = 0;
    unsigned char *svg = read_file_bytes(svg_path, &n);
    CHECK(svg && n > 500 && !memcmp(svg, "<?xml", 5) && strstr((char *)svg, "</svg>\n"));
    int dots = 0;
    for (char *p = svg ? (char *)svg : ""; (p = strstr(p, "<circle")); p++) dots++;
    CHECK(dots == 8); /* 4 series x 2 table sizes */
    free(svg);
    remove(svg_path);
    snprintf(cmd, sizeof cmd, "%s bench lookup --csv --max-gb 0.001 --reps 1 2>/dev/null", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out,
                   "table_bytes,rows,dim,dist,edl_ns_per_row,gather_ns_per_row,memcpy_ns_per_row,edl_over_"
                   "gather\n65536,256,64,uniform,",
                   102));
    CHECK(strstr(out, "\n65536,256,64,zipf,") != NULL);
    snprintf(cmd, sizeof cmd, "%s bench kernels --csv --reps 1", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "kernel,shape,seconds,rate,unit,limit_rate,fraction_of_limit\nembedding_fwd,", 74));
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    CHECK(lines == 13);
    snprintf(cmd, sizeof cmd, "%s bench nothing 2>&1", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "usage: edl bench"));
}

/* Word-vector commands end to end: skipgram, nn (with an unseen word), analogies, convert,
   eval-similarity, print-word-vectors. */
TEST(cli_word_vectors) {
    char dir[] = "/tmp/edl-wv-XXXXXX", cmd[1024], out[8192];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char corpus[96];
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    FILE *f = fopen(corpus, "w");
    edl_rng r;
    edl_rng_seed(&r, 2);
    for (int line = 0; line < 3000; line++) {
        for (int k = 0; k < 10; k++) fprintf(f, "%s%d ", line % 2 ? "cat" : "dog", (int)edl_rng_below(&r, 20));
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s skipgram -input %s -output %s/v -dim 16 -epoch 5 -minCount 1 -thread 1 -bucket 20000 -verbose 0 "
             "-binary 2>&1",
             harness_cli(), corpus, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    snprintf(cmd, sizeof cmd, "%s nn %s/v.vec -k 3 cat7", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "Query word? cat7\ncat", 20)); /* its nearest neighbour is a cat */
    snprintf(cmd, sizeof cmd, "echo cat7x | %s nn %s/v.safetensors -k 1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "Query word? cat", 15)); /* unseen: from its n-grams (fastText's prompt, no echo) */
    snprintf(cmd, sizeof cmd, "%s nn %s/v.vec zebra", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "(no vector for zebra)"));
    snprintf(cmd, sizeof cmd, "%s analogies %s/v.vec -k 1 cat1 cat2 dog3", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "Query triplet (A - B + C)? cat1 cat2 dog3\n"));
    snprintf(cmd, sizeof cmd,
             "%s convert %s/v.bin %s/v.txt 2>/dev/null && %s convert %s/v.txt %s/w.vec 2>/dev/null && cmp -s %s/v.vec "
             "%s/w.vec",
             harness_cli(), dir, dir, harness_cli(), dir, dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0); /* .bin -> GloVe -> .vec gives the same file */
    snprintf(cmd, sizeof cmd,
             "printf 'cat1 cat2 9\\ncat1 dog2 1\\ncat3 cat4 8\\ndog1 cat5 2\\nxx yy 3\\n' > %s/p.txt && %s "
             "eval-similarity %s/v.vec %s/p.txt",
             dir, harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "coverage\t0.8000\t(4 / 5)"));
    snprintf(cmd, sizeof cmd, "echo 'cat1 unseenword' | %s print-word-vectors %s/v.safetensors", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strncmp(out, "cat1 ", 5) && strstr(out, "\nunseenword "));
    snprintf(cmd, sizeof cmd, "%s nn %s/missing.vec cat 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "missing.vec"));
    harness_remove_dir(dir);
}

/* project, plot and export-projector on a classifier trained from the bundled data. */
TEST(cli_project_plot_projector) {
    char dir[] = "/tmp/edl-proj-XXXXXX", cmd[1024], out[16384];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(cmd, sizeof cmd, "%s supervised -input data/spam.train -output %s/m -dim 8 -epoch 2 -thread 1 -verbose 0",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    snprintf(cmd, sizeof cmd, "%s project %s/m.safetensors -method pca -max 100", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    CHECK(!strncmp(out, "label,x,y\n", 10) && lines == 101);
    snprintf(cmd, sizeof cmd,
             "%s plot %s/m.safetensors -output %s/p.svg -method tsne -max 60 -perplexity 5 -iter 200 -top 10",
             harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "/p.svg"));
    char path[128];
    snprintf(path, sizeof path, "%s/p.svg", dir);
    size_t n = 0;
    char *svg = (char *)read_file_bytes(path, &n);
    int pts = 0;
    for (char *p = svg; p && (p = strstr(p, "class=\"pt\"")); p++) pts++;
    CHECK(pts == 60 && svg && strstr(svg, "__label__spam"));
    free(svg);
    snprintf(cmd, sizeof cmd,
             "%s export-projector %s/m.safetensors %s/proj >/dev/null && wc -l < %s/proj/metadata.tsv && head -1 "
             "%s/proj/vectors.tsv | tr '\\t' '\\n' | wc -l",
             harness_cli(), dir, dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    int words = 0, cols = 0;
    CHECK(sscanf(out, "%d %d", &words, &cols) == 2 && words > 1000 && cols == 8);
    snprintf(cmd, sizeof cmd, "%s plot %s/m.safetensors -output %s/q.svg -method umap 2>&1", harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "-method 'umap'"));
    harness_remove_dir(dir);
}

/* Training curves: -log writes a CSV row an epoch, plot-curve draws it. */
TEST(cli_training_curves) {
    char dir[] = "/tmp/edl-curve-XXXXXX", cmd[1024], out[4096];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(cmd, sizeof cmd,
             "%s supervised -input data/spam.train -output %s/m -dim 8 -epoch 3 -thread 1 -verbose 0 -log %s/log.csv "
             "&& cat %s/log.csv",
             harness_cli(), dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    const char *sup = "epoch,loss,lr,words_per_sec_thread,seconds\n1.0000,";
    CHECK(!strncmp(out, sup, strlen(sup)) && strstr(out, "\n3.0000,"));
    snprintf(cmd, sizeof cmd, "%s plot-curve %s/log.csv -output %s/c.svg && grep -c '<polyline' %s/c.svg",
             harness_cli(), dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "c.svg\n2\n")); /* loss and lr */
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "xmllint --noout %s/c.svg", dir);
        CHECK(system(cmd) == 0);
    }
    snprintf(cmd, sizeof cmd,
             "printf '1 0 1\\n0 2 3\\n1 1 0\\n0 3 2\\n' > %s/d.txt && %s train -spec 'embedding_bag(rows=4,dim=2) "
             "dense(2)' -input %s/d.txt "
             "-output %s/t -epoch 4 -verbose 0 -log %s/t.csv && cat %s/t.csv",
             dir, harness_cli(), dir, dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    const char *tr = "epoch,loss,accuracy,valid_loss,valid_accuracy,seconds\n1,";
    CHECK(!strncmp(out, tr, strlen(tr)) && strstr(out, "\n4,") && !strstr(out, "\n5,"));
    harness_remove_dir(dir);
}

/* edl recommend: synth, train with a held-out split, test, topk, similar, split, the -log curve,
   and the errors a user meets (a bad row named by line, a bad flag, an unknown user). */
TEST(cli_recommend) {
    char dir[] = "/tmp/edl-rec-cli-XXXXXX", cmd[2048], out[8192];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(cmd, sizeof cmd, "%s recommend synth -output %s/u.data -users 200 -items 300 -per-user 40 2>&1",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "noise RMSE (the floor)"));
    snprintf(cmd, sizeof cmd,
             "%s recommend train -input %s/u.data -output %s/mf -dim 8 -epoch 5 -split random:0.1 -log %s/log.csv "
             "-verbose 0",
             harness_cli(), dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "RMSE\t", 5) && strstr(out, "\nMAE\t") && strstr(out, "\nHR@10\t") &&
          strstr(out, "\nNDCG@10\t"));
    snprintf(cmd, sizeof cmd, "%s recommend test %s/mf.safetensors %s/mf.test -k 5", harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strncmp(out, "RMSE\t", 5) && strstr(out, "\nHR@5\t") &&
          strstr(out, "\nUnknown\t"));
    snprintf(cmd, sizeof cmd, "cat %s/log.csv && %s plot-curve %s/log.csv -output %s/c.svg", dir, harness_cli(), dir,
             dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strncmp(out, "epoch,loss,test_rmse,test_hr,seconds\n1,", 39) &&
          strstr(out, "\n5,"));
    snprintf(cmd, sizeof cmd,
             "%s recommend train -input %s/u.data -output %s/bpr -model bpr -epoch 3 -verbose 0 && %s recommend topk "
             "%s/bpr.safetensors -user 1 -k 7 | wc -l && "
             "%s recommend similar %s/bpr.safetensors -item 1 -k 4 | wc -l",
             harness_cli(), dir, dir, harness_cli(), dir, harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strcmp(out, "7\n4\n"));
    /* topk leaves out the user's own items: none of user 1's items appear */
    snprintf(cmd, sizeof cmd,
             "%s recommend topk %s/bpr.safetensors -user 1 -k 50 | cut -f1 | sort > %s/top && awk '$1 == 1 {print $2}' "
             "%s/u.data | sort > %s/own && comm -12 %s/top %s/own | wc -l",
             harness_cli(), dir, dir, dir, dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strcmp(out, "0\n"));
    /* the embedding space of a recommender: its rows named user:ID and item:ID, coloured by kind */
    snprintf(cmd, sizeof cmd,
             "%s project %s/bpr.safetensors -method pca | grep -c '^item:' && %s plot %s/bpr.safetensors -output "
             "%s/p.svg | wc -l && grep -c '>items<' %s/p.svg",
             harness_cli(), dir, harness_cli(), dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strcmp(out, "300\n1\n1\n"));
    snprintf(cmd, sizeof cmd, "%s recommend topk %s/bpr.safetensors -user 123456 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "user 123456 is not in the model"));
    snprintf(cmd, sizeof cmd, "%s recommend split %s/u.data -output %s/s -split last", harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, ".test\t200\n"));
    /* a bad row fails naming file:line, and -bad skip counts it */
    snprintf(cmd, sizeof cmd,
             "printf '1\\t2\\t5\\t1\\n1\\t3\\tnan\\t2\\n' > %s/bad.data && %s recommend train -input %s/bad.data "
             "-output %s/x -verbose 0 2>&1",
             dir, harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "bad.data:2:") && strstr(out, "-bad skip"));
    snprintf(cmd, sizeof cmd, "%s recommend train -input %s/bad.data -output %s/x -bad skip -epoch 1 -verbose 0 2>&1",
             harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "skipped 1 bad rows"));
    snprintf(cmd, sizeof cmd,
             "%s recommend train -input %s/u.data -output %s/x -model svd 2>&1; %s recommend train -input %s/u.data "
             "-output %s/x -split random:2 2>&1",
             harness_cli(), dir, dir, harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "-model 'svd'") && strstr(out, "-split 'random:2'"));
    /* values a run cannot use are refused by name, not replaced by defaults */
    const char *refused[][2] = {
        {"-epoch 0", "-epoch must be at least 1"}, {"-thread -1", "-thread -1 is negative"},
        {"-lr -0.5", "-lr -0.5 is not"},           {"-reg -1", "-reg -1 is not"},
        {"-decay cosine", "-decay 'cosine'"},      {"-model mlp -hidden 1,2,3,4,5,6,7,8", "1 to 7 layer sizes"}};
    for (size_t c = 0; c < sizeof refused / sizeof refused[0]; c++) {
        snprintf(cmd, sizeof cmd, "%s recommend train -input %s/u.data -output %s/x %s 2>&1", harness_cli(), dir, dir,
                 refused[c][0]);
        if (harness_run(cmd, out, sizeof out) != 2 || !strstr(out, refused[c][1])) FAILF("%s: %s", refused[c][0], out);
    }
    /* a test file with no known user and item is an error, not a column of NaN; a missing file
       gets no "-bad skip" hint */
    snprintf(cmd, sizeof cmd,
             "printf '999\t999\t5\t1\n' > %s/unk.data && %s recommend test %s/mf.safetensors %s/unk.data 2>&1", dir,
             harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "none of the 1 test records") && !strstr(out, "nan"));
    snprintf(cmd, sizeof cmd, "%s recommend train -input %s/nothere -output %s/x 2>&1", harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "cannot open") && !strstr(out, "-bad skip"));
    harness_remove_dir(dir);
}
