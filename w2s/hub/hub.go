// Package hub downloads files from the Hugging Face hub: a dataset's
// parquet files (the hub's parquet conversion of each config and split) and
// a model repository's files. Downloads are atomic (temporary file, size
// check, rename), show a progress bar when asked, and send $HF_TOKEN.
//
// Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN,
// HF_HUB_OFFLINE=1 (refuse any network access).
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
)

// Client talks to a hub endpoint.
type Client struct {
	Endpoint string // without trailing slash
	Token    string
	Offline  bool
	HTTP     *http.Client
	Progress io.Writer // where progress bars go; nil shows none
}

// FromEnv returns a client configured from the environment.
func FromEnv() *Client {
	endpoint := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
	if endpoint == "" {
		endpoint = "https://huggingface.co"
	}
	off := os.Getenv("HF_HUB_OFFLINE")
	return &Client{
		Endpoint: endpoint,
		Token:    os.Getenv("HF_TOKEN"),
		Offline:  off == "1" || strings.EqualFold(off, "true"),
		HTTP:     &http.Client{Timeout: 30 * time.Minute},
	}
}

// ErrOffline is returned when the client may not use the network.
var ErrOffline = errors.New("hub: offline (HF_HUB_OFFLINE is set)")

func (c *Client) get(ctx context.Context, rawURL string) (*http.Response, error) {
	if c.Offline {
		return nil, ErrOffline
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("User-Agent", "w2s-toolkit")
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hub: GET %s: %w", rawURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		resp.Body.Close()
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = " (gated or private: set HF_TOKEN)"
		}
		return nil, fmt.Errorf("hub: GET %s: %s%s: %s", rawURL, resp.Status, hint, strings.TrimSpace(string(body)))
	}
	return resp, nil
}

// DatasetParquetURLs lists the parquet files of one config and split of a
// dataset repository, in shard order.
func (c *Client) DatasetParquetURLs(ctx context.Context, repo, config, split string) ([]string, error) {
	u := fmt.Sprintf("%s/api/datasets/%s/parquet/%s/%s", c.Endpoint, repo, url.PathEscape(config), url.PathEscape(split))
	resp, err := c.get(ctx, u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var urls []string
	if err := json.NewDecoder(resp.Body).Decode(&urls); err != nil {
		return nil, fmt.Errorf("hub: %s: expected a JSON list of parquet URLs: %w", u, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("hub: %s lists no parquet files", u)
	}
	return urls, nil
}

// ModelFileURL is the address of a file in a model repository.
func (c *Client) ModelFileURL(repo, revision, file string) string {
	if revision == "" {
		revision = "main"
	}
	return fmt.Sprintf("%s/%s/resolve/%s/%s", c.Endpoint, repo, url.PathEscape(revision), file)
}

// Download fetches rawURL into dest atomically (see package atomicfile):
// dest appears only when the whole body arrived, and matches
// Content-Length when the server sent one; on any failure nothing is left
// at dest or beside it, and an existing dest is untouched.
func (c *Client) Download(ctx context.Context, rawURL, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	resp, err := c.get(ctx, rawURL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return atomicfile.Write(dest, func(w io.Writer) error {
		if c.Progress != nil {
			bar := progressbar.NewOptions64(resp.ContentLength,
				progressbar.OptionSetWriter(c.Progress),
				progressbar.OptionSetDescription("download "+filepath.Base(dest)),
				progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish())
			defer bar.Finish()
			w = io.MultiWriter(w, bar)
		}
		n, err := io.Copy(w, resp.Body)
		if err != nil {
			return fmt.Errorf("hub: download %s: %w", rawURL, err)
		}
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return fmt.Errorf("hub: download %s: got %d of %d bytes", rawURL, n, resp.ContentLength)
		}
		return nil
	})
}
