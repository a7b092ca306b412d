package sched

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stemflow/stemflow/graph"
)

// TestHybridLane: general task nodes are taken by the general workers and by the
// workers of a hybrid lane (a GPU's streams taking partitions of the same graph); a
// non-hybrid lane's workers never run them; lane-only nodes stay on their lane; every
// node runs once and the results are right.
func TestHybridLane(t *testing.T) {
	for _, hybrid := range []bool{true, false} {
		t.Run("hybrid="+strconv.FormatBool(hybrid), func(t *testing.T) {
			g := graph.New()
			var mu sync.Mutex
			ranOn := map[string]int{} // lane name ("" general) -> general task nodes run there
			laneOnlyWrong := 0
			var keys []graph.Key
			const n = 200
			for i := 0; i < n; i++ {
				k := graph.Key("t" + strconv.Itoa(i))
				keys = append(keys, k)
				mustAdd(t, g, graph.Node{Key: k, Kind: graph.KindTask, Admission: true, Order: i,
					Op: func(ctx context.Context, _ []any) (any, error) {
						wi, _ := Worker(ctx)
						mu.Lock()
						ranOn[wi.Lane]++
						mu.Unlock()
						time.Sleep(300 * time.Microsecond) // long enough for every worker to take some
						return i * i, nil
					}})
				if i%10 == 0 {
					lk := graph.Key("lane" + strconv.Itoa(i))
					keys = append(keys, lk)
					mustAdd(t, g, graph.Node{Key: lk, Kind: graph.KindTask, Lane: "fake:0", Deps: []graph.Key{k},
						Op: func(ctx context.Context, a []any) (any, error) {
							if wi, _ := Worker(ctx); wi.Lane != "fake:0" {
								mu.Lock()
								laneOnlyWrong++
								mu.Unlock()
							}
							return a[0].(int) + 1, nil
						}})
				}
			}
			out, err := Compute(context.Background(), g, keys, Options{Workers: 1,
				Lanes: []Lane{{Name: "fake:0", Slots: 2, LockOSThread: true, Hybrid: hybrid}}})
			if err != nil {
				t.Fatal(err)
			}
			j := 0
			for i := 0; i < n; i++ {
				if got := out[j].(int); got != i*i {
					t.Fatalf("t%d = %d, want %d", i, got, i*i)
				}
				j++
				if i%10 == 0 {
					if got := out[j].(int); got != i*i+1 {
						t.Fatalf("lane%d = %d, want %d", i, got, i*i+1)
					}
					j++
				}
			}
			if laneOnlyWrong != 0 {
				t.Errorf("%d lane-only nodes ran off their lane", laneOnlyWrong)
			}
			if total := ranOn[""] + ranOn["fake:0"]; total != n {
				t.Errorf("general nodes ran %d times, want %d (%v)", total, n, ranOn)
			}
			if hybrid && ranOn["fake:0"] == 0 {
				t.Errorf("hybrid lane workers ran no general node: %v", ranOn)
			}
			if !hybrid && ranOn["fake:0"] != 0 {
				t.Errorf("non-hybrid lane workers ran %d general nodes", ranOn["fake:0"])
			}
		})
	}
}
