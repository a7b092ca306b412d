// Package cluster runs the partition tasks of a compiled run on NATS JetStream
// workers on other machines, while merges, Results and finalize stay on the driver.
//
// # How a run travels
//
// The driver (Client.Open, then udf.Run, udf.RunIter or udf.RunLazy with the Job's
// options) publishes one small task message per non-empty partition on the
// work-queue stream STEMFLOW (subject stemflow.task.<job>), consumed by the durable
// pull consumer stemflow-workers that every worker shares, so idle workers take the
// next task. The job itself — dataset open spec, UDF names, versions and
// parameters, run options — is one JSON object in the Object Store bucket
// stemflow; the ROI and array parameters (mask stacks, aux data) are objects
// addressed by their SHA-256 and fetched once per worker. Workers open the dataset
// themselves from the path in the job (a shared filesystem), refusing paths outside
// their data root, build the UDFs from a Registry and run the partition with
// udf.Prepare/RunPartition. The partition buffers come back as .npy bytes with a
// CRC-32C each, inline in the result message up to InlineLimit and through the
// Object Store above it. The driver merges them in partition order, so results are
// bit-identical to a local run with the same partitions. A run without a partition
// count is cut into Config.PartitionBytes (64 MiB) partitions, at least 4 per worker
// slot idle at Open (Client.IdleSlots). A worker slot fetches its next task while the
// driver takes its last result.
//
// # Failures
//
// A worker extends its task's ack deadline while it computes (heartbeats at a
// third of AckWait); a worker that dies stops doing so and JetStream redelivers the
// task to another worker after AckWait. A task delivered MaxDeliver times without a
// result is a poison task: the driver hears JetStream's max-deliveries advisory and
// fails the run with ErrPoisonTask. A UDF error, an unknown UDF, a version mismatch
// or a refused path is reported by the worker as a *TaskError and fails the run at
// once (no redelivery). Results are keyed by job and partition: a duplicate
// delivery's result is ignored. When the driver's context ends, its job's queued
// tasks are purged from the stream and workers are told to stop the job's running
// tasks.
//
// Credentials (user/password, token, NKey seed, credentials file, TLS) come from
// ConnOptions, filled from flags or the environment (ConnOptionsFromEnv), and are
// never logged or printed: URLs are shown through Redact.
package cluster
