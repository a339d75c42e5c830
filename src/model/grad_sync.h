/* The synchronous trainers' gradient exchange (edl_train on several ranks): after each rank has
 * added its examples' gradients (each divided by the global batch size) into its replica's
 * gradient block, these make every replica's block the sum over ranks, so each rank applies the
 * same optimizer step and the replicas stay equal. The one place that moves gradients between
 * ranks: a row-sharded table (rows owned by rank id % N) replaces edl__sync_touched_rows.
 * One process (NULL or size 1): both are no-ops. Collective: every rank calls them in the same
 * order, on models of the same layout. Not installed. */
#ifndef EDL__GRAD_SYNC_H
#define EDL__GRAD_SYNC_H

#include "model/comm.h"
#include "model/model.h"

/* Sums the dense gradients over ranks: every layer's but the row-tracked (sparse) tables', as a
   few allreduces over the runs of consecutive layers (4 bytes a parameter, 2(N-1)/N of it sent). */
edl_status edl__sync_dense_grads(edl_model *m, edl_comm *comm);
/* Sums embedding layer l's touched rows over ranks: the union of every rank's touched rows
   (allgather of 8-byte row ids), in rank order then first touch, becomes every rank's touched
   list; those rows' gradients, packed in that order, are summed (allreduce of 4 x dim bytes a
   row). A layer that does not track rows, or is frozen, is left alone. */
edl_status edl__sync_touched_rows(edl_model *m, size_t l, edl_comm *comm);
/* Both, every layer: the exchange of one synchronous step. */
edl_status edl__sync_grads(edl_model *m, edl_comm *comm);

#endif
