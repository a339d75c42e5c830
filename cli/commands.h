/* The commands of the edl tool; each returns the process exit status. */
#ifndef EDL_CLI_COMMANDS_H
#define EDL_CLI_COMMANDS_H

int cmd_summary(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_supervised(int argc, char **argv);
int cmd_test(int argc, char **argv);          /* test and test-label */
int cmd_predict(int argc, char **argv);       /* predict and predict-prob */
int cmd_sentence_vectors(int argc, char **argv);
int cmd_bench(int argc, char **argv);         /* onehot, lookup, kernels */

#endif
