/* The names of the text domain's enums (edl_text.h), on the table functions of common/names.c:
 * every spelling once, the first entry of a value its canonical name. */
#include "common/names.h"

#include "edl_text.h"

static const edl__name_entry textclf_loss[] = {{EDL_TEXTCLF_SOFTMAX, "softmax"},
                                               {EDL_TEXTCLF_OVA, "ova"},
                                               {EDL_TEXTCLF_HS, "hs"},
                                               {EDL_TEXTCLF_NS, "ns"},
                                               {EDL_TEXTCLF_OVA, "one-vs-all"}};
static const edl__name_entry vec_format[] = {{EDL_VEC_AUTO, "auto"},
                                             {EDL_VEC_TEXT, "text"},
                                             {EDL_VEC_GLOVE, "glove"},
                                             {EDL_VEC_BINARY, "binary"},
                                             {EDL_VEC_SAFETENSORS, "safetensors"}};
static const edl__name_entry wordvec_update[] = {{EDL_WORDVEC_WINDOW, "window"}, {EDL_WORDVEC_PAIR, "pair"}};
static const edl__name_table textclf_loss_table = EDL__NAME_TABLE(textclf_loss, "text classifier loss");
static const edl__name_table vec_format_table = EDL__NAME_TABLE(vec_format, "vector format");
static const edl__name_table wordvec_update_table = EDL__NAME_TABLE(wordvec_update, "word-vector update");

EDL__NAME_FUNCTIONS(edl_textclf_loss, edl_textclf_loss, &textclf_loss_table)
EDL__NAME_FUNCTIONS(edl_vec_format, edl_vec_format, &vec_format_table)
EDL__NAME_FUNCTIONS(edl_wordvec_update, edl_wordvec_update, &wordvec_update_table)
