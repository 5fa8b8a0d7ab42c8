// Package checksum computes the SHA-256 of files, as build records,
// training state and artifact manifests record them.
package checksum

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
)

// File returns the hex SHA-256 of a file's content and its size.
func File(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
