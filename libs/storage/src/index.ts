// @ftune/storage — The artifact store: datasets, shards, checkpoints, reports and run records in a folder.
