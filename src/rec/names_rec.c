/* The names of the recommender domain's enums (edl_rec.h), on the table functions of
 * common/names.c: every spelling once, the first entry of a value its canonical name. */
#include "common/names.h"

#include "edl_rec.h"

static const edl__name_entry rec_kind[] = {
    {EDL_REC_MF, "mf"}, {EDL_REC_BPR, "bpr"}, {EDL_REC_MLP, "mlp"}, {EDL_REC_POP, "pop"}};
static const edl__name_entry ratings_format[] = {
    {EDL_RATINGS_AUTO, "auto"}, {EDL_RATINGS_UDATA, "udata"}, {EDL_RATINGS_DAT, "dat"}, {EDL_RATINGS_CSV, "csv"}};
static const edl__name_entry split_kind[] = {{EDL_SPLIT_RANDOM, "random"}, {EDL_SPLIT_LAST, "last"}};
static const edl__name_table rec_kind_table = EDL__NAME_TABLE(rec_kind, "recommender");
static const edl__name_table ratings_format_table = EDL__NAME_TABLE(ratings_format, "ratings format");
static const edl__name_table split_kind_table = EDL__NAME_TABLE(split_kind, "split");

EDL__NAME_FUNCTIONS(edl_rec_kind, edl_rec_kind, &rec_kind_table)
EDL__NAME_FUNCTIONS(edl_ratings_format, edl_ratings_format, &ratings_format_table)
EDL__NAME_FUNCTIONS(edl_split_kind, edl_split_kind, &split_kind_table)
