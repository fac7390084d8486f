// @ftune/contracts — Kafka topic names, event payload types and their runtime validators.
