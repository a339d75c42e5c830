/* The one table of enum names: every value's name reads back to the value, the aliases are taken,
 * a bad name is refused naming it and the names, and the files and messages use the same spelling. */
#include "harness.h"

/* name(v) for v = 0.. until NULL; each reads back through from_name to v; counted. */
#define ROUND_TRIP(prefix, type, want_n)                                                                           \
    do {                                                                                                           \
        int n_ = 0;                                                                                                \
        for (int v_ = 0; prefix##_name((type)v_); v_++, n_++) {                                                    \
            type back_ = (type)(v_ + 1);                                                                           \
            CHECK_OK(prefix##_from_name(prefix##_name((type)v_), &back_));                                         \
            if ((int)back_ != v_)                                                                                  \
                FAILF("%s(%d) = '%s' reads back as %d", #prefix "_name", v_, prefix##_name((type)v_), (int)back_); \
        }                                                                                                          \
        if (n_ != (want_n)) FAILF("%s names %d values, want %d", #prefix, n_, (want_n));                           \
        CHECK(prefix##_name((type)-7) == NULL && prefix##_name((type)1000) == NULL);                               \
        type keep_ = (type)0;                                                                                      \
        CHECK_STATUS(prefix##_from_name("no-such-name", &keep_), EDL_ERR_ARG);                                     \
        CHECK_ERROR_HAS("'no-such-name'");                                                                         \
        CHECK_ERROR_HAS(prefix##_name((type)0));                                                                   \
        CHECK((int)keep_ == 0);                                                                                    \
        CHECK_STATUS(prefix##_from_name(NULL, &keep_), EDL_ERR_ARG);                                               \
        CHECK_STATUS(prefix##_from_name(prefix##_name((type)0), NULL), EDL_ERR_ARG);                               \
    } while (0)

TEST(names_round_trip_every_value) {
    ROUND_TRIP(edl_act, edl_act, 4);
    ROUND_TRIP(edl_pool, edl_pool, 3);
    ROUND_TRIP(edl_loss, edl_loss, 3);
    ROUND_TRIP(edl_init, edl_init, 3);
    ROUND_TRIP(edl_layer_kind, edl_layer_kind, 5);
    ROUND_TRIP(edl_opt, edl_opt_kind, 5);
    ROUND_TRIP(edl_schedule, edl_schedule, 3);
    ROUND_TRIP(edl_quant, edl_quant_kind, 3);
    ROUND_TRIP(edl_textclf_loss, edl_textclf_loss, 4);
    ROUND_TRIP(edl_vec_format, edl_vec_format, 5);
    ROUND_TRIP(edl_wordvec_update, edl_wordvec_update, 2);
    ROUND_TRIP(edl_rec_kind, edl_rec_kind, 4);
    ROUND_TRIP(edl_ratings_format, edl_ratings_format, 4);
    ROUND_TRIP(edl_split_kind, edl_split_kind, 2);
    /* flatten: the pool value outside 0.. */
    edl_pool p = EDL_POOL_SUM;
    CHECK(edl_pool_name(EDL_POOL_FLATTEN) && !strcmp(edl_pool_name(EDL_POOL_FLATTEN), "flatten"));
    CHECK_OK(edl_pool_from_name("flatten", &p));
    CHECK(p == EDL_POOL_FLATTEN);
}

/* The spellings themselves: what files, specs and the CLI have always written. */
TEST(names_canonical_spellings) {
    const struct {
        const char *got, *want;
    } s[] = {
        {edl_act_name(EDL_ACT_NONE), "none"},
        {edl_act_name(EDL_ACT_RELU), "relu"},
        {edl_act_name(EDL_ACT_SIGMOID), "sigmoid"},
        {edl_act_name(EDL_ACT_TANH), "tanh"},
        {edl_pool_name(EDL_POOL_SUM), "sum"},
        {edl_pool_name(EDL_POOL_MEAN), "mean"},
        {edl_pool_name(EDL_POOL_MAX), "max"},
        {edl_loss_name(EDL_LOSS_SOFTMAX_CE), "softmax"},
        {edl_loss_name(EDL_LOSS_BCE), "bce"},
        {edl_loss_name(EDL_LOSS_MSE), "mse"},
        {edl_init_name(EDL_INIT_TORCH), "torch"},
        {edl_init_name(EDL_INIT_KERAS), "keras"},
        {edl_init_name(EDL_INIT_FASTTEXT), "fasttext"},
        {edl_layer_kind_name(EDL_LAYER_INPUT), "input"},
        {edl_layer_kind_name(EDL_LAYER_EMBEDDING), "embedding"},
        {edl_layer_kind_name(EDL_LAYER_EMBEDDING_BAG), "embedding_bag"},
        {edl_layer_kind_name(EDL_LAYER_DENSE), "dense"},
        {edl_layer_kind_name(EDL_LAYER_DROPOUT), "dropout"},
        {edl_opt_name(EDL_OPT_SGD), "sgd"},
        {edl_opt_name(EDL_OPT_ADAGRAD), "adagrad"},
        {edl_opt_name(EDL_OPT_ROWWISE_ADAGRAD), "rowwise-adagrad"},
        {edl_opt_name(EDL_OPT_ADAM), "adam"},
        {edl_opt_name(EDL_OPT_ADAMW), "adamw"},
        {edl_schedule_name(EDL_SCHED_CONSTANT), "constant"},
        {edl_schedule_name(EDL_SCHED_LINEAR), "linear"},
        {edl_schedule_name(EDL_SCHED_COSINE), "cosine"},
        {edl_textclf_loss_name(EDL_TEXTCLF_SOFTMAX), "softmax"},
        {edl_textclf_loss_name(EDL_TEXTCLF_OVA), "ova"},
        {edl_textclf_loss_name(EDL_TEXTCLF_HS), "hs"},
        {edl_vec_format_name(EDL_VEC_AUTO), "auto"},
        {edl_vec_format_name(EDL_VEC_TEXT), "text"},
        {edl_vec_format_name(EDL_VEC_GLOVE), "glove"},
        {edl_vec_format_name(EDL_VEC_BINARY), "binary"},
        {edl_vec_format_name(EDL_VEC_SAFETENSORS), "safetensors"},
        {edl_wordvec_update_name(EDL_WORDVEC_WINDOW), "window"},
        {edl_wordvec_update_name(EDL_WORDVEC_PAIR), "pair"},
        {edl_rec_kind_name(EDL_REC_MF), "mf"},
        {edl_rec_kind_name(EDL_REC_BPR), "bpr"},
        {edl_rec_kind_name(EDL_REC_MLP), "mlp"},
        {edl_rec_kind_name(EDL_REC_POP), "pop"},
        {edl_ratings_format_name(EDL_RATINGS_AUTO), "auto"},
        {edl_ratings_format_name(EDL_RATINGS_UDATA), "udata"},
        {edl_ratings_format_name(EDL_RATINGS_DAT), "dat"},
        {edl_ratings_format_name(EDL_RATINGS_CSV), "csv"},
        {edl_split_kind_name(EDL_SPLIT_RANDOM), "random"},
        {edl_split_kind_name(EDL_SPLIT_LAST), "last"},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (!s[i].got || strcmp(s[i].got, s[i].want))
            FAILF("name %zu is '%s', want '%s'", i, s[i].got ? s[i].got : "(null)", s[i].want);
}

/* The documented alias: rowwise_adagrad (what the recommender's table spelled) is rowwise-adagrad. */
TEST(names_aliases_and_messages) {
    edl_opt_kind k = EDL_OPT_SGD;
    CHECK_OK(edl_opt_from_name("rowwise_adagrad", &k));
    CHECK(k == EDL_OPT_ROWWISE_ADAGRAD);
    k = EDL_OPT_SGD;
    CHECK_OK(edl_opt_from_name("rowwise-adagrad", &k));
    CHECK(k == EDL_OPT_ROWWISE_ADAGRAD);
    CHECK(!strcmp(edl_opt_name(k), "rowwise-adagrad"));
    /* names are exact: no case folding, no prefixes */
    CHECK_STATUS(edl_opt_from_name("Adam", &k), EDL_ERR_ARG);
    CHECK_STATUS(edl_opt_from_name("ada", &k), EDL_ERR_ARG);
    CHECK_STATUS(edl_opt_from_name("", &k), EDL_ERR_ARG);
    /* the message names the table, the value and the canonical names (not the aliases) */
    edl_act a;
    CHECK_STATUS(edl_act_from_name("gelu", &a), EDL_ERR_ARG);
    CHECK_ERROR_HAS("unknown activation 'gelu' (none, relu, sigmoid or tanh)");
    CHECK_STATUS(edl_opt_from_name("lion", &k), EDL_ERR_ARG);
    CHECK_ERROR_HAS("unknown optimizer 'lion' (sgd, adagrad, rowwise-adagrad, adam or adamw)");
    CHECK(!strstr(edl_last_error(), "rowwise_adagrad"));
    edl_split_kind sk;
    CHECK_STATUS(edl_split_kind_from_name("first", &sk), EDL_ERR_ARG);
    CHECK_ERROR_HAS("(random or last)");
}

/* A spec prints with the table's names and parses back; the summary's types and loss too. */
TEST(names_spec_and_summary_use_the_table) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_parse_spec(
        &m, "embedding(rows=10,dim=2,len=3,pool=max) dense(4,act=tanh,init=keras) dropout(0.5) dense(2) loss(mse)"));
    char buf[2048];
    CHECK_OK(edl_model_spec(m, buf, sizeof buf));
    CHECK(strstr(buf, "embedding(rows=10,dim=2,len=3,pool=max") && strstr(buf, "dense(4,act=tanh,init=keras)") &&
          strstr(buf, "dropout(0.5)") && strstr(buf, " loss(mse)"));
    CHECK_OK(edl_model_summary(m, buf, sizeof buf));
    CHECK(strstr(buf, "(Embedding, max)") && strstr(buf, "(Dense, tanh)") && strstr(buf, "(Dropout, 0.5)") &&
          strstr(buf, "Loss: mse\n"));
    edl_model_free(m);
    m = NULL;
    CHECK_STATUS(edl_model_parse_spec(&m, "embedding_bag(rows=4,dim=2,pool=flatten) dense(2)"), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("unknown pool 'flatten'");
    CHECK_STATUS(edl_model_parse_spec(&m, "conv(3) dense(2)"), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("unknown layer 'conv' (input, embedding, embedding_bag, dense, dropout, loss)");
    CHECK(m == NULL);
}

/* Messages about a bad enum value list the table's names; layers are named by their kind. */
TEST(names_in_messages_and_layer_names) {
    float x[2] = {1, 2}, w[2] = {1, 1}, y[1];
    CHECK_STATUS(edl_dense_forward(y, x, 1, 2, 1, w, NULL, (edl_act)9), EDL_ERR_ARG);
    CHECK_ERROR_HAS("activation 9 is not none, relu, sigmoid or tanh");
    edl_model *m = NULL;
    CHECK_OK(edl_model_create(&m));
    CHECK_STATUS(edl_model_set_loss(m, (edl_loss)7), EDL_ERR_ARG);
    CHECK_ERROR_HAS("loss 7 is not softmax, bce or mse");
    edl_model_free(m);
    m = NULL;
    CHECK_OK(edl_model_parse_spec(&m, "embedding_bag(rows=4,dim=2) dense(3) dense(2)"));
    edl_layer_info in;
    CHECK_OK(edl_model_layer_info(m, 0, &in));
    CHECK(!strcmp(in.name, "embedding_bag"));
    CHECK_OK(edl_model_layer_info(m, 2, &in));
    CHECK(!strcmp(in.name, "dense_1"));
    edl_model_free(m);
}
