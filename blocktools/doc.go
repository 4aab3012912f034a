// Package blocktools holds the operations on blocks that both the CLI
// (`tempoctl blocks compact|rewrite|verify|convert`) and the compactor in
// `serve` run: planning and merging compactions, retention, rewrites and
// verification/repair. It works on storage/backend and storage/block only.
package blocktools
