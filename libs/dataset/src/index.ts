// @ftune/dataset — Streaming dataset readers, validation, deduplication, deterministic split and manifests.
