package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHub serves a dataset's parquet listing and files, and a model file.
func fakeHub(t *testing.T, token string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/api/datasets/org/data/parquet/default/train", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]string{srv.URL + "/files/train-0.parquet", srv.URL + "/files/train-1.parquet"})
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("content of " + filepath.Base(r.URL.Path)))
	})
	mux.HandleFunc("/cut/", func(w http.ResponseWriter, r *http.Request) {
		// Promise 1000 bytes, send 10, then drop the connection.
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("0123456789"))
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, _ := hj.Hijack()
			conn.Close()
		}
	})
	mux.HandleFunc("/org/model/resolve/main/config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"model_type":"gpt2"}`))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestDatasetDownload(t *testing.T) {
	srv := fakeHub(t, "secret")
	c := &Client{Endpoint: srv.URL, Token: "secret"}
	urls, err := c.DatasetParquetURLs(context.Background(), "org/data", "default", "train")
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) != 2 {
		t.Fatalf("urls %v", urls)
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, "train-00000.parquet")
	if err := c.Download(context.Background(), urls[0], dest); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "content of train-0.parquet" {
		t.Errorf("downloaded %q", b)
	}
	// Without the token the server refuses, and the error says how to fix it.
	c.Token = ""
	err = c.Download(context.Background(), urls[1], filepath.Join(dir, "x"))
	if err == nil || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Errorf("unauthorized download: %v", err)
	}
	if _, err := c.DatasetParquetURLs(context.Background(), "org/none", "default", "train"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing dataset: %v", err)
	}
	m := c.ModelFileURL("org/model", "", "config.json")
	if err := c.Download(context.Background(), m, filepath.Join(dir, "config.json")); err != nil {
		t.Errorf("model file: %v", err)
	}
}

func TestInterruptedDownloadLeavesNothing(t *testing.T) {
	srv := fakeHub(t, "")
	c := &Client{Endpoint: srv.URL, Progress: nil}
	dir := t.TempDir()
	dest := filepath.Join(dir, "big.parquet")
	err := c.Download(context.Background(), srv.URL+"/cut/big.parquet", dest)
	if err == nil {
		t.Fatal("a cut download succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("a failed download left %d files: %v", len(entries), entries[0].Name())
	}
	// An existing file is untouched by a failed refresh.
	os.WriteFile(dest, []byte("good"), 0o644)
	if err := c.Download(context.Background(), srv.URL+"/cut/big.parquet", dest); err == nil {
		t.Fatal("a cut download succeeded")
	}
	if b, _ := os.ReadFile(dest); string(b) != "good" {
		t.Errorf("failed download replaced the file with %q", b)
	}
}

func TestOffline(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1/")
	t.Setenv("HF_TOKEN", "tok")
	c := FromEnv()
	if c.Endpoint != "http://127.0.0.1:1" || c.Token != "tok" || !c.Offline {
		t.Fatalf("FromEnv: %+v", c)
	}
	if _, err := c.DatasetParquetURLs(context.Background(), "a/b", "default", "train"); !errors.Is(err, ErrOffline) {
		t.Errorf("offline listing: %v", err)
	}
}
