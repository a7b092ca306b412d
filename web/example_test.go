package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/web"
)

// ExampleNew serves a folder holding one .npy dataset and lists it, as the page does.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "stemflow-serve-")
	defer os.RemoveAll(dir)
	_ = array.WriteNPYFile(filepath.Join(dir, "scan.npy"), array.Zeros[float32](4, 4, 8, 8))

	token := "example-token" // stemflow serve uses web.NewToken()
	srv, err := web.New(web.Config{Dir: dir, Token: token})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	resp, err := http.Get(hs.URL + "/api/datasets")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("without the token:", resp.StatusCode)

	req, _ := http.NewRequest("GET", hs.URL+"/api/datasets", nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var reply struct {
		Datasets []struct {
			Path, Format string
			Size         int64
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&reply)
	fmt.Println("with it:", resp.StatusCode, reply.Datasets)
	// Output:
	// without the token: 403
	// with it: 200 [{scan.npy npy 4224}]
}
