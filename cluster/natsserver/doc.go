// Package natsserver runs an embedded NATS server with JetStream, for small setups
// and tests of package cluster; production setups point drivers and workers at
// their own nats-server cluster.
//
// It is a package of its own, apart from package cluster, so that programs which
// only drive or serve a cluster (the stemflow command: run --nats, worker) do not
// link the NATS server: its package initialisation cost every process ~4 ms of CPU
// and ~130 page faults before main. The program stemflow-server (`stemflow server`)
// links it.
package natsserver
