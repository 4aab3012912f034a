package jaegertest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// recording is one captured request of manifest.json whose body was kept.
type recording struct {
	status      int
	contentType string
	body        []byte
}

// manifestRequest is the part of a manifest entry the fake needs.
type manifestRequest struct {
	Name        string `json:"name"`
	Method      string `json:"method"`
	URL         string `json:"url"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	File        string `json:"file"`
	Summary     *struct {
		Order [][]any `json:"order"`
	} `json:"summary"`
}

type manifest struct {
	Requests []manifestRequest `json:"requests"`
}

func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	return &m, nil
}

// loadRecordings maps "METHOD path?query" of every kept GET response to it.
func loadRecordings(dir string, m *manifest) (map[string]recording, error) {
	out := map[string]recording{}
	for _, r := range m.Requests {
		if r.File == "" || r.Method != "GET" {
			continue
		}
		u, err := url.Parse(r.URL)
		if err != nil {
			return nil, err
		}
		body, err := os.ReadFile(filepath.Join(dir, r.File))
		if err != nil {
			return nil, err
		}
		out[r.Method+" "+u.RequestURI()] = recording{status: r.Status, contentType: r.ContentType, body: body}
	}
	return out, nil
}
