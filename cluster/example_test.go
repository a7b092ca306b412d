package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/cluster"
	"github.com/stemflow/stemflow/cluster/natsserver"
	"github.com/stemflow/stemflow/udf"
)

// A server, one worker (here a goroutine; normally `stemflow worker` or a program
// calling Serve on another machine) and a driver running Sum on it.
func Example() {
	dir, _ := os.MkdirTemp("", "stemflow-cluster")
	defer os.RemoveAll(dir)
	data := array.Zeros[float32](2, 2, 2, 2)
	for i := range data.Data() {
		data.Data()[i] = float32(i % 4)
	}
	path := filepath.Join(dir, "scan.npy")
	if err := array.WriteNPYFile(path, data); err != nil {
		fmt.Println(err)
		return
	}
	srv, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	wnc, err := cluster.Connect(cluster.ConnOptions{URL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer wnc.Close()
	served := make(chan error, 1)
	go func() { served <- cluster.Serve(ctx, wnc, cluster.WorkerOptions{DataRoot: dir, Slots: 2}) }()

	nc, err := cluster.Connect(cluster.ConnOptions{URL: srv.URL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	c, err := cluster.NewClient(ctx, nc, cluster.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := cluster.Run(ctx, c, cluster.Builtins(), cluster.RunSpec{
		Dataset: cluster.DatasetSpec{Format: "npy", Path: path},
		UDFs:    []cluster.UDFSpec{{Name: "sum"}},
		Options: udf.Options{NumPartitions: 2},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res[0].Get("intensity").RawData().(*array.Dense[float32]).Data())
	cancel()
	fmt.Println(<-served)
	// Output:
	// [0 4 8 12]
	// <nil>
}
