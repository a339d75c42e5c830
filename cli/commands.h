/* The commands of the edl tool; each returns the process exit status. */
#ifndef EDL__CLI_COMMANDS_H
#define EDL__CLI_COMMANDS_H

int cmd_summary(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_supervised(int argc, char **argv);
int cmd_test(int argc, char **argv);    /* test and test-label */
int cmd_predict(int argc, char **argv); /* predict and predict-prob */
int cmd_sentence_vectors(int argc, char **argv);
int cmd_bench(int argc, char **argv); /* onehot, lookup, kernels */
int cmd_skipgram(int argc, char **argv);
int cmd_cbow(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_nn(int argc, char **argv);
int cmd_analogies(int argc, char **argv);
int cmd_eval_analogies(int argc, char **argv);
int cmd_eval_similarity(int argc, char **argv);
int cmd_print_word_vectors(int argc, char **argv);
int cmd_print_ngrams(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_project(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_export_projector(int argc, char **argv);
int cmd_plot_curve(int argc, char **argv);
int cmd_recommend(int argc, char **argv);

#endif
